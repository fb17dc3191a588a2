"""The send guard Lambda: ``functions.guard.app.lambda_handler``."""
