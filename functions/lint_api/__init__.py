"""Lint API Lambda: the engine's checks over HTTP (POST /check, POST /lint); nothing is sent.

Entry point: ``functions.lint_api.handler.handler`` (``app`` imported with the garbage
collector paused, see ``functions.startup``)."""
