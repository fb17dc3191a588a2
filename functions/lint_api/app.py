"""The lint API: ``POST /check``, ``POST /check/stored`` and ``POST /lint`` behind an
IAM-authorised HTTP API.

``/check`` takes a send request (docs/design.md, section 2) and answers with exactly the JSON
``sendguard check --format json`` prints for it. Nothing is sent and nothing is
written: the API is for previews, CI jobs and producers that want an answer first.
``/check`` reads no stored personal data: the customer and the history come in the
body (a ``customer_id`` without ``customer`` is refused the same way whether or not
such a customer exists), so the answer reveals nothing the caller did not send.

``/check/stored`` answers what the guard would decide right now: like the guard, it
loads ``customer_id`` from the customers table and (when the request carries no
``history``) recent contacts and events from the contact ledger. Those reads are
personal data, so the route is off unless the stack parameter ``LintApiRecordReads``
is ``enabled`` (which also grants the function read access to the two tables), and
a caller needs ``execute-api:Invoke`` on this route itself, not only on ``/check``.

Both load stored templates from SES (company content, not personal data).

``/lint`` takes a template and the fields that front matter gives a template file
(:class:`LintRequest`) and answers with the findings.

Errors are JSON, ``{"error": "...", "field": "..."}``, never a traceback: a body that
is not JSON or not a valid request is 400 naming the field (on ``/lint`` also a
sample customer the template cannot be rendered or checked for: ``customers.N``); a
body over ``MAX_BODY_BYTES`` is 413; ``/check/stored`` while record reads are off is
403. What the caller cannot fix is 503: the policy parameter is missing, unreadable,
not JSON or not a valid policy (the operator's to fix; the log says what), or AWS
(SSM, SES, DynamoDB) failed or throttled, which also carries ``Retry-After``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions import aws, lookups
from functions.http_body import MAX_BODY_BYTES, BodyTooLarge, json_of
from functions.lookups import PolicyUnavailable
from linters.models import (
    Channel,
    Customer,
    InlineTemplate,
    Purpose,
    RequestError,
    SendRequest,
    describe_validation_error,
    parse_request,
)
from linters.policy import PolicyError
from linters.safe_text import dumps

# /lint renders the template once per sample customer; more belongs in a CI job.
MAX_LINT_CUSTOMERS = 1000
# "enabled" turns on /check/stored (template.yaml sets it from LintApiRecordReads).
RECORD_READS = "LINT_API_RECORD_READS"

logger = Logger(service="sendguard-lint-api")
# JSON as the CLI prints it: no raw control character (C1, U+2028...) in a body either.
app = APIGatewayHttpResolver(serializer=dumps)


class RecordReadsOff(Exception):
    """/check/stored was called on a stack that does not allow reading stored records."""


class LintRequest(BaseModel):
    """Body of ``POST /lint``: a template plus what a template file's front matter says.

    The same fields as ``sendguard lint``'s front matter (``subject`` lives in
    ``template``), and optional sample ``customers`` like ``--customers``.
    """

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    template: InlineTemplate
    channel: Channel = Channel.EMAIL
    purpose: Purpose | None = None
    automated: bool = True
    campaign: str | None = None
    trigger: str | None = None
    audience: list[str] | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    customers: Annotated[list[Customer], Field(max_length=MAX_LINT_CUSTOMERS)] = Field(default_factory=list)

    def source(self) -> Any:
        """The template as ``sendguard lint`` sees one from the SES account: part by part."""
        from linters.lint.inputs import FrontMatter, PartSource, TemplateSource

        meta = self.model_dump(mode="json", exclude={"template", "customers"}, exclude_none=True)
        parts = [
            PartSource(part, text)
            for part in ("subject", "text", "html")
            if (text := getattr(self.template, part)) is not None
        ]
        return TemplateSource(self.name or "template", parts, FrontMatter.model_validate(meta))


# --- what the API reads from AWS (each only when its variable is set) --------------
# The policy, stored templates and stored records: functions.lookups, as the guard reads them.


def record_reads_enabled() -> bool:
    return (aws.optional_setting(RECORD_READS) or "").lower() == "enabled"


def refuse_stored_customer(request: SendRequest) -> None:
    """``/check`` never looks a customer up: the same answer for every id, so the
    response says nothing about whether a record exists."""
    if request.customer is None and request.customer_id is not None:
        raise RequestError(
            "customer_id",
            "POST /check does not read stored customers: send the customer in the request "
            "(or call POST /check/stored where the stack allows record reads)",
        )


def with_stored_facts(request: SendRequest) -> SendRequest:
    """The stored customer record and the ledger merged in, as the guard merges them
    (``linters.precedence``): a request can add facts, never hide stored ones
    (``/check/stored`` only; a table whose variable is not set is not read)."""
    now = request.now or datetime.now(UTC)
    return lookups.with_customer_and_ledger(request, now, only_tables_set=True)


# --- request handling ------------------------------------------------------------


def json_body() -> Any:
    return json_of(app.current_event)


def judge(request: SendRequest, stored: bool) -> dict[str, Any]:
    """The check's answer; with ``stored``, customer and history come from the tables."""
    from linters.engine import check

    if stored:
        request = with_stored_facts(request)
    else:
        refuse_stored_customer(request)
    # Templates are read as they are now (uncached): the answer is a preview.
    result = check(request, lookups.current_policy(), templates=lookups.read_template)
    logger.info(
        "checked",
        extra={
            "decision": str(result.decision),
            "rules": [f.rule for f in result.findings],
            "stored": stored,
        },
    )
    return result.to_dict()


@app.post("/check")
def post_check() -> dict[str, Any]:
    return judge(parse_request(json_body()), stored=False)


@app.post("/check/stored")
def post_check_stored() -> dict[str, Any]:
    # Refused before the body is read: a caller learns nothing but that reads are off.
    if not record_reads_enabled():
        raise RecordReadsOff
    return judge(parse_request(json_body()), stored=True)


@app.post("/lint")
def post_lint() -> dict[str, Any]:
    """The document ``sendguard lint --format json`` prints, for one template."""
    from linters.lint.customers import CustomerError, summarize
    from linters.lint.inputs import InputError
    from linters.lint.linter import lint_template

    body = json_body()
    if not isinstance(body, dict):
        raise RequestError("", f"a lint request is a JSON object, not {type(body).__name__}")
    try:
        lint = LintRequest.model_validate(body)
    except ValidationError as exc:
        raise describe_validation_error(exc) from None
    config = lookups.lint_config()
    template = lint.source()
    findings = lint_template(template, config)
    summaries = []
    if lint.customers and not any(f.rule == "SG900" for f in findings):
        try:
            summaries = summarize(template, lint.customers, config, datetime.now(UTC))
        except CustomerError as exc:
            # The caller's sample data (or template) is at fault: a 400 naming the customer.
            label = f" ({exc.customer_id!r})" if exc.customer_id else ""
            raise RequestError(
                f"customers.{exc.index - 1}",
                f"the template cannot be checked for sample customer {exc.index}{label}: {exc.problem}",
            ) from None
        except InputError as exc:
            raise RequestError("customers", str(exc)) from None
    logger.info("linted", extra={"rules": [f.rule for f in findings]})
    return {"findings": [f.to_dict() for f in findings], "customers": [s.to_dict() for s in summaries]}


def _error(status: int, problem: str, field: str = "") -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=dumps({"error": problem, "field": field}),
    )


@app.exception_handler(RequestError)
def bad_request(exc: RequestError) -> Response:
    return _error(400, str(exc), exc.field)


@app.exception_handler(BodyTooLarge)
def too_large(exc: BodyTooLarge) -> Response:
    return _error(413, f"the body is larger than {MAX_BODY_BYTES // 1024} KiB")


@app.exception_handler(RecordReadsOff)
def record_reads_off(exc: RecordReadsOff) -> Response:
    return _error(403, "reading stored customers and contact history is off on this API (LintApiRecordReads)")


@app.exception_handler(PolicyError)
def broken_policy(exc: PolicyError) -> Response:
    # The caller cannot fix this; the operator can, from the log. Not a 500: nothing
    # crashed, the deployment is misconfigured until the parameter is fixed.
    logger.error("policy parameter is invalid", extra={"problem": str(exc)})
    return _error(503, "the service's policy parameter is invalid (the operator has the details in the log)")


@app.exception_handler(PolicyUnavailable)
def policy_unavailable(exc: PolicyUnavailable) -> Response:
    logger.error("policy parameter cannot be read", extra={"parameter": exc.parameter, "problem": exc.cause})
    return _unavailable(exc.problem, exc.retry_after)


def _unavailable(problem: str, retry_after: int | None) -> Response:
    response = _error(503, problem)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@app.exception_handler(BotoCoreError)
@app.exception_handler(ClientError)
def aws_failed(exc: Exception) -> Response:
    """An AWS call (SES, DynamoDB) failed after botocore's own retries: our dependency,
    not the caller's request, so 503 with Retry-After when waiting may help."""
    code, retry_after = aws.problem(exc)
    logger.error("an AWS call failed", extra={"problem": str(exc), "code": code})
    return _unavailable(f"a service this API depends on failed ({code})", retry_after)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
