"""The send guard Lambda: ``functions.guard.handler.lambda_handler`` (``app`` imported
with the garbage collector paused, see ``functions.startup``)."""
