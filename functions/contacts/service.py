"""Ask before, record after: what ``POST /contacts/ask`` and ``POST /contacts`` do,
shared by the Lambda (``functions.contacts.app``) and ``sendguard contacts``.

**Ask.** The body becomes a send request judged the way the guard judges one: the
stored customer record and the contact ledger merged in (``functions.facts``: the
address's rows and the customer's own), under the stack's policy. A script or postcard
text (``template``) is rendered and read like any message; without one only what needs
no text is judged (suppression, consent, caps, pile-ups, cooldowns, quiet hours). The
answer is ``allow``, ``hold`` (with ``next_allowed_at``) or ``block``, with the findings.
Nothing is written.

**Record.** The contact is written to the ledger under the address and the customer
(``functions.ledger.record_contact``), once per caller id; every later decision on the
address or the customer counts it. A time in the future, or older than the ledger
keeps, is refused. The answer names the id and whether it was new: no personal data.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from functions import aws, ledger, lookups
from functions.contacts.models import ContactAsk, ContactRecord, parse
from linters.engine import check, earliest_retry, judge_safely
from linters.findings import Decision, Result, decide
from linters.limits import check_request
from linters.message import Message
from linters.models import InlineTemplate, RequestError, SendRequest, describe_validation_error
from linters.policy import Policy
from linters.rule_runner import run_rules
from linters.timing import CLOCK_SKEW

# An ask without a script is judged without text: this stands in for the template a
# send request must have and is never rendered or read (``judge_without_text``).
_NO_TEXT = InlineTemplate(text="(no text)")
ANSWERS = ("allow", "hold", "block")


def send_request(ask: ContactAsk, moment: datetime) -> SendRequest:
    """The send request an ask stands for (``to`` defaults to the customer's ledger key)."""
    who = ask.who()
    fields: dict[str, Any] = {
        "id": ask.id or "contact-ask",
        "channel": ask.channel,
        "purpose": ask.purpose,
        "automated": ask.automated,
        "campaign": ask.campaign,
        "trigger": ask.trigger,
        "to": ask.to or ledger.customer_key(who or ""),
        "template": ask.template or _NO_TEXT,
        "data": ask.data,
        "customer": ask.customer,
        "customer_id": ask.customer_id,
        "history": ask.history,
        "events": ask.events,
        "now": moment,
    }
    try:
        return SendRequest.model_validate(fields)
    except Exception as exc:  # pydantic's ValidationError: a script that does not fit the channel
        if hasattr(exc, "errors"):
            raise describe_validation_error(exc) from None
        raise


def judge_without_text(request: SendRequest, policy: Policy) -> Result:
    """The rules over a message with no parts: only what needs no text can find anything."""
    check_request(request)

    def judge() -> Result:
        message = Message(request, request.customer, {}, request.now)
        findings = run_rules(message, policy)
        decision = decide(findings)
        retry = earliest_retry(message, policy, findings) if decision == Decision.HOLD else None
        return Result(request.id, decision, findings, {}, retry_at=retry)

    return judge_safely(policy, judge)


def answer_of(ask: ContactAsk, result: Result, moment: datetime) -> dict[str, Any]:
    """allow / hold until / block, with the findings; a rewrite allows the rewritten text."""
    decision = "allow" if result.decision in (Decision.ALLOW, Decision.REWRITE) else str(result.decision)
    next_allowed = {"allow": moment, "hold": result.retry_at}.get(decision)
    answer: dict[str, Any] = {
        "id": ask.id,
        "decision": decision,
        "next_allowed_at": next_allowed.isoformat() if next_allowed else None,
        "findings": [finding.to_dict() for finding in result.findings],
    }
    if ask.template is not None:
        answer["message"] = result.message  # the script or text as it may be used
        if result.changes:
            answer["changes"] = [change.to_dict() for change in result.changes]
    return answer


def ask(body: Any, now: datetime) -> dict[str, Any]:
    """The answer to ``POST /contacts/ask``; reads the tables the environment names."""
    question: ContactAsk = parse(ContactAsk, body)
    moment = question.at or now
    request = lookups.with_customer_and_ledger(send_request(question, moment), moment)
    policy = lookups.current_policy()
    if question.template is None:
        result = judge_without_text(request, policy)
    else:
        result = check(request, policy, templates=lookups.read_template)
    return answer_of(question, result, moment)


def body_hash(record: ContactRecord) -> str:
    return hashlib.sha256(record.model_dump_json().encode("utf-8")).hexdigest()


def check_time(record: ContactRecord, now: datetime) -> None:
    """A contact is recorded once it has been made, and while the ledger still keeps it."""
    if record.at > now + CLOCK_SKEW:
        raise RequestError("at", "is in the future: record a contact once it has been made")
    if record.at <= now - timedelta(days=ledger.LEDGER_DAYS):
        raise RequestError("at", f"is older than the ledger keeps ({ledger.LEDGER_DAYS} days); it would count for nothing")


def record(body: Any, now: datetime) -> tuple[dict[str, Any], bool]:
    """Write a contact made outside the guard; (the answer, whether it is new).
    Raises ``ledger.RecordConflict`` for an id recorded before with another body."""
    made: ContactRecord = parse(ContactRecord, body)
    check_time(made, now)
    keys = ledger.person_keys(made.to, made.customer_id)
    new = ledger.record_contact(aws.table(aws.LEDGER_TABLE), made.id, body_hash(made), keys, made.contact())
    return {"id": made.id, "recorded": True, "duplicate": not new}, new
