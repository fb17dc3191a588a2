"""Lint API Lambda: the engine's checks over HTTP (POST /check, POST /lint); nothing is sent.

Importing this package imports the handler module with the garbage collector paused
(``functions.startup``), as the guard's does.
"""

from functions.startup import collector_paused

with collector_paused():
    from functions.lint_api import app  # noqa: F401 - imported for its cold start
