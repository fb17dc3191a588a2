"""The lint API's Lambda entry point (template.yaml's ``Handler``).

It imports ``functions.lint_api.app`` with the garbage collector paused
(``functions.startup``), as the guard's entry point does.
"""

from functions.startup import collector_paused

with collector_paused():
    from functions.lint_api.app import handler

__all__ = ["handler"]
