"""The guard's Lambda entry point (template.yaml's ``Handler``).

It routes what the guard function is invoked with:

- ``{"sendguard_release": {"id": ...}}``, a reviewer's release (issue 14) invoked by the
  review API, to ``functions.review.release.handle_release_event`` (imported on the
  first release, so a cold start for the outbox does not load the review modules);
- everything else, an SQS batch from the outbox, to ``functions.guard.app.lambda_handler``.

It imports ``functions.guard.app`` with the garbage collector paused
(``functions.startup``): 6% of the guard's cold start. Other code imports
``functions.guard.app`` or ``functions.guard.delivery`` directly and is left alone.
"""

from typing import Any

from functions.startup import collector_paused

with collector_paused():
    from functions.guard import app

RELEASE_EVENT = "sendguard_release"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if RELEASE_EVENT in event:
        return release_handler(event, context)
    return app.lambda_handler(event, context)


@app.logger.inject_lambda_context(clear_state=True)
@app.tracer.capture_lambda_handler
@app.metrics.log_metrics
def release_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A reviewer's release, carried out in the guard's role (the only role that may send)."""
    from functions.review.release import handle_release_event

    app._count_event("ReleaseInvoked")
    return handle_release_event(event[RELEASE_EVENT])


__all__ = ["lambda_handler"]
