"""Release and deny: a reviewer's decision on a quarantined message, carried out.

A release goes back through the guard, never around it:

1. The request body comes from the guard's delivery record (kept for a quarantine).
2. It is judged again, now, with the current customer record, contact ledger and
   policy, under an **override**: the rules the reviewer accepted (by default every
   rule that acted on the message as reviewed) act as ``warn`` for this one message. Any other finding still
   decides, so a message that is still not sendable is refused and stays pending.
3. **Suppression and consent are never waived** (SG601 suppressed, SG602 no-consent):
   a person who unsubscribed, complained, bounced or never consented is not mailed
   because a reviewer clicked. No policy can change this: such a release is refused
   before anything is written, and the guard checks again when it sends.
4. The row goes pending -> released (a conditional write with who, when, why and the
   override), then the guard sends through the same delivery record:
   ``quarantined -> sending -> sent`` is a conditional write, so a released message is
   sent at most once, however often the release or the original SQS message arrives.

Step 4's send runs in the guard's role (only it may send): the review API invokes the
guard function with ``{"sendguard_release": {"id": ...}}``, which its entry point
(``functions.guard.handler``) hands to :func:`handle_release_event`,
which trusts nothing in the event but the id and acts only on a row a reviewer released.
Locally (tests, the demo, ``sendguard review`` against moto) the same function runs
in-process.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions import aws, lookups
from functions.guard import delivery
from functions.review import store
from linters.findings import Action, Result
from linters.models import RequestError, parse_request
from linters.policy import FLOORS, Policy

# Never waived by a release, whatever the policy or the reviewer says.
NEVER_WAIVED = frozenset({"SG601", "SG602"})
# Never accepted by a reviewer either: the legal floors a policy cannot lower (SG609
# calling hours). A message they hold is sent when the hours allow, not released early.
NEVER_ACCEPTED = NEVER_WAIVED | FLOORS
GUARD_FUNCTION = "GUARD_FUNCTION_NAME"  # the review API invokes the guard by this name


class ReleaseRefused(RuntimeError):
    """The message may not be released (still stopped, expired, or never waivable)."""


class SendFailed(ReleaseRefused):
    """The release is recorded, but the guard's send failed; releasing again retries it."""


@dataclass
class Outcome:
    id: str
    state: str  # the review state after the call (or the one that would be, in a dry run)
    detail: str = ""
    rules: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "detail": self.detail, "rules": self.rules}


def override_policy(policy: Policy, accepted: set[str]) -> Policy:
    """``policy`` with the accepted rules downgraded to warn (recorded, not deciding),
    and suppression and consent back at block, whatever the policy says of them."""
    actions = dict(policy.actions)
    actions.update({rule: Action.WARN for rule in accepted - NEVER_WAIVED})
    actions.update({rule: Action.BLOCK for rule in NEVER_WAIVED})
    return Policy(
        actions=actions, settings=dict(policy.settings), source=f"{policy.source} + review override"
    )


def default_accepted(row: dict[str, Any]) -> set[str]:
    """What a reviewer accepts unless told otherwise: every rule that acted on what the
    reviewer saw (block, hold, rewrite), so what is sent is the message as reviewed."""
    acting = ("block", "hold", "rewrite")
    return {f["rule"] for f in store.findings_of(row) if f.get("action") in acting and f.get("rule")}


def check_accepted(accepted: set[str]) -> set[str]:
    accepted = {rule.strip().upper() for rule in accepted if rule.strip()}
    waived = sorted(accepted & NEVER_ACCEPTED)
    if waived:
        raise RequestError(
            "accept",
            f"{', '.join(waived)} can never be waived by a release (suppression, consent and "
            "calling hours stand)",
        )
    return accepted


def _body_of(key: str, row: dict[str, Any]) -> tuple[delivery.Record, str]:
    """The delivery record and the request body (kept on the record for a quarantine)."""
    item = aws.table(aws.IDEMPOTENCY_TABLE).get_item(Key={"id": key}, ConsistentRead=True).get("Item")
    body = (item or {}).get("body") or row.get("body")
    if item is None or not body:
        raise ReleaseRefused(
            f"{key}: the request body is gone (delivery record expired); it can only be denied"
        )
    return delivery._from_item(item), str(body)


def rejudge(key: str, row: dict[str, Any], accepted: set[str]) -> tuple[delivery.Delivery, Result, datetime]:
    """The request judged again now, with the override (no side effects). The delivery
    it returns acts through the guard's adapter (``app.effects()``)."""
    from functions.guard import app
    from linters.engine import check

    record, body = _body_of(key, row)
    request = parse_request(body)
    payload_hash = delivery.payload_hash(body)
    current = delivery.Delivery(
        request, body, payload_hash, record.step, record, app.clock(), app.effects(), key
    )
    moment = current.now  # the guard's clock, as at send time (never the request's ``now``)
    current.request = lookups.with_customer_and_ledger(request.model_copy(update={"now": None}), moment)
    policy = override_policy(lookups.current_policy(), accepted)
    result = check(current.request, policy, templates=lookups.stored_template, now=moment)
    result.id = key  # the decision row of this quarantine (an id conflict has its own key)
    return current, result, moment


def _stopping(result: Result) -> list[str]:
    return sorted({f.rule for f in result.findings if f.action in (Action.BLOCK, Action.HOLD)})


def _refuse_if_stopped(key: str, result: Result) -> None:
    if result.sendable:
        return
    rules = _stopping(result)
    never = sorted(set(rules) & NEVER_WAIVED)
    if never:
        raise ReleaseRefused(
            f"{key}: {', '.join(never)} still applies; suppression and consent are never waived"
        )
    raise ReleaseRefused(
        f"{key}: still {result.decision} after the override ({', '.join(rules)}); not released"
    )


def release(
    key: str,
    reason: str,
    who: str,
    accept: set[str] | None = None,
    dry_run: bool = False,
    send: Callable[[str], dict[str, Any]] | None = None,
) -> Outcome:
    """Release one pending message: judge it again under the override, record the
    release (conditional), then have the guard send it (``send``; default: the guard
    function when GUARD_FUNCTION_NAME is set, else in this process)."""
    row = store.get(key)
    if row.get("review_state") == store.RELEASED and row.get("release_outcome") != "sent" and not dry_run:
        # Released, but the send failed or never ran: carry it out now. Not a second
        # release: the delivery record still lets the guard send at most once.
        return _carry_out(key, send, list(row.get("review_override") or []), "resumed: ")
    why, now, row = _pending(key, reason, who)
    accepted = check_accepted(default_accepted(row) - NEVER_ACCEPTED if accept is None else accept)
    found = set(store.rules_of(row)) & NEVER_WAIVED
    if found:
        raise ReleaseRefused(f"{key}: {', '.join(sorted(found))}: suppression and consent are never waived")
    _, result, _ = rejudge(key, row, accepted)
    _refuse_if_stopped(key, result)
    if dry_run:
        return Outcome(key, store.RELEASED, "dry run: would be released and sent", sorted(accepted))
    store.transition(key, store.RELEASED, who, why, now, override=sorted(accepted))
    return _carry_out(key, send, sorted(accepted))


def _carry_out(
    key: str, send: Callable[[str], dict[str, Any]] | None, accepted: list[str], prefix: str = ""
) -> Outcome:
    """Have the guard send a recorded release; a failure is noted on the row."""
    try:
        answer = (send or dispatcher())(key) or {}
    except Exception as exc:  # whatever failed, the release stays recorded and can be retried
        problem = f"{type(exc).__name__}: {exc}"[:300]
        # If even this fails, the row says released without "sent": a retry resumes it.
        with contextlib.suppress(ClientError, BotoCoreError):
            store.note_outcome(key, f"failed: {problem}")
        raise SendFailed(
            f"{key}: released, but the send failed ({problem}); "
            f"release it again to retry (`sendguard review release {key}`)"
        ) from exc
    said = str(answer.get("outcome", ""))
    if answer.get("detail"):
        said = f"{said}: {answer['detail']}"
    return Outcome(key, store.RELEASED, prefix + said, accepted)


def deny(key: str, reason: str, who: str, dry_run: bool = False) -> Outcome:
    """Deny one pending message: it stays unsent for good (the delivery record stays
    quarantined, so a redelivery of the request is a duplicate)."""
    why, now, row = _pending(key, reason, who)
    if dry_run:
        return Outcome(key, store.DENIED, "dry run: would be denied", store.rules_of(row))
    store.transition(key, store.DENIED, who, why, now)
    return Outcome(key, store.DENIED, "not sent", store.rules_of(row))


def _pending(key: str, reason: str, who: str) -> tuple[str, datetime, dict[str, Any]]:
    """The checked reason, the time and the row, which must be pending (an expired one
    is recorded as expired and refused)."""
    why = store.check_reason(reason)
    now = datetime.now(UTC)
    row = store.get(key)
    state = store.state_of(row, now)
    if state == store.EXPIRED:
        _expire(key, who, now)
    if state != store.PENDING:
        raise store.AlreadyDecided(key, state)
    return why, now, row


def _expire(key: str, who: str, now: datetime) -> None:
    store.transition(
        key, store.EXPIRED, who, f"past the review window of {store.REVIEW_WINDOW.days} days", now
    )
    raise ReleaseRefused(f"{key}: expired (older than {store.REVIEW_WINDOW.days} days); nothing was done")


# --- the guard's side ----------------------------------------------------------------


def send_released(key: str) -> dict[str, Any]:
    """Carry out a recorded release, in the guard's role: at most one send, ever.

    Acts only on a row in state ``released``; judges again under the recorded override
    (suppression or consent that arrived meanwhile still stops it) and sends through
    the delivery record, whose conditional write lets one caller send."""
    row = store.get(key)
    if row.get("review_state") != store.RELEASED:
        return {"outcome": "refused", "detail": "not released by a reviewer"}
    record = delivery.load(key)
    if record is not None and record.state in (delivery.SENT, delivery.SENDING):
        return {**_lost_race(key), "outcome": "duplicate", "state": record.state}
    if record is None or record.state not in (delivery.QUARANTINED, delivery.RETRY):
        return {"outcome": "duplicate", "state": record.state if record else "gone"}
    accepted = set(row.get("review_override") or []) - NEVER_WAIVED
    current, result, moment = rejudge(key, row, accepted)
    if not result.sendable:
        latest = delivery.load(key)
        if latest is not None and latest.state in (delivery.SENT, delivery.SENDING):
            return _lost_race(key)  # judged after another release's send: it counts that send
        detail = f"still {result.decision}: {', '.join(_stopping(result))}"
        store.note_outcome(key, f"refused: {detail}")
        return {"outcome": "refused", "detail": detail}
    try:
        # The decision row is updated in place: the reviewer's fields stay as they are.
        return delivery.send_once(current, result, moment, row_extra={"release_outcome": "sent"})
    except delivery.RaceLost:
        return _lost_race(key)


def _lost_race(key: str) -> dict[str, Any]:
    """What happened to a message another release (or a redelivery) got to first."""
    record = delivery.load(key)
    state = record.state if record else "gone"
    if state == delivery.SENT:
        return {"outcome": "sent", "detail": "already sent by another release of this message; nothing more to do"}
    if state == delivery.SENDING:
        return {"outcome": "sending", "detail": "another release of this message is sending it now"}
    return {"outcome": "refused", "detail": f"the message changed meanwhile (now {state}); look again"}


def handle_release_event(event: Any) -> dict[str, Any]:
    """The guard function's entry for ``{"sendguard_release": {"id": ...}}``."""
    key = event.get("id") if isinstance(event, dict) else None
    if not isinstance(key, str) or not key:
        return {"outcome": "refused", "detail": "sendguard_release.id: a quarantined message id is required"}
    try:
        return send_released(key)
    except (store.NotFound, ReleaseRefused) as exc:
        return {"outcome": "refused", "detail": str(exc)}


def invoke_guard(function_name: str) -> Callable[[str], dict[str, Any]]:
    def send(key: str) -> dict[str, Any]:
        response = aws.invoke_client().invoke(
            FunctionName=function_name, Payload=json.dumps({"sendguard_release": {"id": key}}).encode()
        )
        return json.loads(response["Payload"].read() or b"{}")

    return send


def dispatcher() -> Callable[[str], dict[str, Any]]:
    name = os.environ.get(GUARD_FUNCTION, "").strip()
    return invoke_guard(name) if name else send_released
