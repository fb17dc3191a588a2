"""The guard's Lambda entry point (template.yaml's ``Handler``).

It imports ``functions.guard.app`` with the garbage collector paused
(``functions.startup``): 6% of the guard's cold start. Other code imports
``functions.guard.app`` or ``functions.guard.delivery`` directly and is left alone.
"""

from functions.startup import collector_paused

with collector_paused():
    from functions.guard.app import lambda_handler

__all__ = ["lambda_handler"]
