"""Package layout only (metadata is in pyproject.toml).

The repository keeps ``linters/`` and ``functions/`` at its top, as docs/design.md, section 1 (Architecture) fixes;
the wheel installs them as ``sendguard/_engine/linters`` and ``sendguard/_engine/functions``
so that installing sendguard never claims the generic names ``linters`` or ``functions``
in site-packages. ``sendguard._entry`` adds ``_engine`` to ``sys.path`` at start-up; the
Python API (``sendguard.check`` ...) imports ``sendguard._engine.linters`` as a subpackage.
"""

from setuptools import find_packages, setup

ENGINE = find_packages(include=["linters", "linters.*", "functions", "functions.*"])
PACKAGES = ["sendguard", *(f"sendguard._engine.{name}" for name in ENGINE)]
PACKAGE_DIR = {"sendguard": "sendguard", **{f"sendguard._engine.{n}": n.replace(".", "/") for n in ENGINE}}

setup(
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data={"sendguard._engine.linters": ["data/*"], "sendguard._engine.functions": ["review/*.html"]},
)
