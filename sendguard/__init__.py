"""sendguard: lint and guard outbound customer messages that fake a relationship.

The installed distribution keeps the repository's packages (``linters``, ``functions``)
under ``sendguard/_engine/`` instead of at the top of site-packages, where such
generic names would collide with other projects. The ``sendguard`` command (see
``sendguard._entry``) puts that folder first on ``sys.path`` for its own process only.
"""

__version__ = "0.2.0"
