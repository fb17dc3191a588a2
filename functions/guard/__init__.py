"""The send guard Lambda: ``functions.guard.app.lambda_handler``.

Importing this package imports the handler module with the garbage collector paused
(``functions.startup``): 6% of the guard's cold start.
"""

from functions.startup import collector_paused

with collector_paused():
    from functions.guard import app  # noqa: F401 - imported for its cold start
