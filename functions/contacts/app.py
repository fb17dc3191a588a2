"""``POST /contacts/ask`` and ``POST /contacts`` on the stack's IAM-authorised HTTP API
(template.yaml's ContactsFunction). What they do: ``functions.contacts.service``.

Each is its own route, so ``execute-api:Invoke`` on one does not grant the other: the
managed policies ``ContactAskers`` and ``ContactRecorders`` (policies/contact-askers.json,
policies/contact-recorders.json) grant them apart. Only recorders write.

Answers: ask 200 ``{"id", "decision", "next_allowed_at", "findings", "message"?,
"changes"?}``; record 201 ``{"id", "recorded": true, "duplicate": false}``, or 200 with
``"duplicate": true`` for an id recorded before with the same body, 409 for one recorded
with another body. Errors are JSON ``{"error", "field"}``: 400 naming the field, 413 for
a body over MAX_BODY_BYTES, 503 (with ``Retry-After`` when waiting may help) when the
policy or AWS fails. The log line holds the route, the decision and rule codes only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from botocore.exceptions import BotoCoreError, ClientError

from functions import aws
from functions.contacts import service
from functions.http_body import MAX_BODY_BYTES, BodyTooLarge, json_of
from functions.ledger import RecordConflict
from functions.lookups import PolicyUnavailable
from linters.models import RequestError
from linters.policy import PolicyError
from linters.safe_text import dumps

logger = Logger(service="sendguard-contacts")
app = APIGatewayHttpResolver(serializer=dumps)


def clock() -> datetime:
    """Now (tests replace it)."""
    return datetime.now(UTC)


def json_body() -> Any:
    return json_of(app.current_event)


@app.post("/contacts/ask")
def post_ask() -> dict[str, Any]:
    answer = service.ask(json_body(), clock())
    logger.info("asked", extra={"decision": answer["decision"], "rules": [f["rule"] for f in answer["findings"]]})
    return answer


@app.post("/contacts")
def post_record() -> Response:
    answer, new = service.record(json_body(), clock())
    logger.info("recorded", extra={"duplicate": not new})
    return Response(status_code=201 if new else 200, content_type=content_types.APPLICATION_JSON, body=dumps(answer))


def _error(status: int, problem: str, field: str = "") -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=dumps({"error": problem, "field": field})
    )


@app.exception_handler(RequestError)
def bad_request(exc: RequestError) -> Response:
    return _error(400, str(exc), exc.field)


@app.exception_handler(RecordConflict)
def conflict(exc: RecordConflict) -> Response:
    return _error(409, "id: this id was recorded before with another body; use a new id for another contact", "id")


@app.exception_handler(BodyTooLarge)
def too_large(exc: BodyTooLarge) -> Response:
    return _error(413, f"the body is larger than {MAX_BODY_BYTES // 1024} KiB")


@app.exception_handler(PolicyError)
def broken_policy(exc: PolicyError) -> Response:
    logger.error("policy parameter is invalid", extra={"problem": str(exc)})
    return _error(503, "the service's policy parameter is invalid (the operator has the details in the log)")


def _unavailable(problem: str, retry_after: int | None) -> Response:
    response = _error(503, problem)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@app.exception_handler(PolicyUnavailable)
def policy_unavailable(exc: PolicyUnavailable) -> Response:
    logger.error("policy parameter cannot be read", extra={"parameter": exc.parameter, "problem": exc.cause})
    return _unavailable(exc.problem, exc.retry_after)


@app.exception_handler(BotoCoreError)
@app.exception_handler(ClientError)
def aws_failed(exc: Exception) -> Response:
    """DynamoDB, SSM or SES failed after botocore's retries: 503, and the caller may
    repeat the call (a record is idempotent by its id)."""
    code, retry_after = aws.problem(exc)
    logger.error("an AWS call failed", extra={"problem": str(exc), "code": code})
    return _unavailable(f"a service this API depends on failed ({code})", retry_after)


@app.exception_handler(aws.MissingSetting)
def misconfigured(exc: aws.MissingSetting) -> Response:
    logger.error("the function is misconfigured", extra={"problem": str(exc)})
    return _error(503, "the service is misconfigured (the operator has the details in the log)")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
