"""The contacts API's Lambda entry point (template.yaml's ``Handler``).

It imports ``functions.contacts.app`` with the garbage collector paused
(``functions.startup``), as the guard's and the lint API's entry points do.
"""

from functions.startup import collector_paused

with collector_paused():
    from functions.contacts.app import handler

__all__ = ["handler"]
