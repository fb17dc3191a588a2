"""Replies to texts (InboundSmsFunction): STOP and its kin revoke, HELP gets an answer.

AWS End User Messaging SMS delivers the texts people send to the stack's numbers (two-way
SMS) to the stack's inbound SMS topic; its SNS subscription invokes this function.
Accepted, and only from that topic (INBOUND_SMS_TOPIC_ARN, as FEEDBACK_TOPIC_ARN is for
SES feedback; the topic's policy lets only End User Messaging publish): SNS records whose
``Message`` is the two-way payload::

    {"originationNumber": "+14255550182", "destinationNumber": "+12125550101",
     "messageKeyword": "JOIN", "messageBody": "Stop please",
     "inboundMessageId": "cae173d2-66b9-564c-8309-21f858e9fb84"}

The whole reply is read, trimmed, case-folded, its punctuation and courtesy words
("please", "thanks") dropped from its ends (``linters/data/sms_replies.json``):

- a revocation (STOP, QUIT, END, REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE and the variants
  listed there: 47 CFR 64.1200(a)(10) lets people revoke consent by any reasonable
  means, and those words per se) writes a marketing ``unsubscribe`` for the sender's
  number on ``sms`` and on ``voice`` (a call to the same phone) at the time SNS
  received it. SG601 blocks the next marketing text or call; receipts and codes still go.
  With the policy's ``replies.stop_text``, one confirmation is sent.
- HELP or INFO: the policy's ``replies.help_text`` (per number: ``replies.by_number``)
  is sent back. Without one nothing is sent: End User Messaging's own keyword reply
  answers (docs/aws.md, "Replies to texts").
- anything else is left alone (a person's reply is not a keyword).

Replies are sent by the guard, never from here (only the guard sends: policies/): each
is a transactional send request put on the outbox, its id made from the inbound
message's id, so an SNS redelivery is the same request and the guard sends it once.

Refused and listed in ``errors`` with nothing written or sent: records from another topic
or not from SNS, and malformed payloads (numbers that are not E.164, a body longer than
a concatenated text can be). AWS errors propagate: Lambda retries the invocation, which
the ledger's duplicate check and the replies' fixed ids make harmless.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, ValidationError

from functions.feedback.app import FeedbackError, _problem, sns_message
from functions.feedback.records import Outcome, ledger_table, phone_number, write_all
from linters.models import Channel, Event, Purpose, describe_validation_error

INBOUND_SMS_TOPIC_ARN = "INBOUND_SMS_TOPIC_ARN"
# A concatenated text is at most 255 segments; End User Messaging delivers up to 1,600
# characters. Anything longer is not a text.
MAX_BODY_CHARS = 1600
REVOKED_CHANNELS = (Channel.SMS, Channel.VOICE)
_WORDS = re.compile(r"[^\w\s']+")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:/+=-]{1,128}")

PhoneNumber = Annotated[StrictStr, Field(max_length=32), AfterValidator(phone_number)]


class InboundSms(BaseModel):
    """The two-way SMS payload (the fields used; End User Messaging may add others)."""

    model_config = ConfigDict(extra="ignore")
    originationNumber: PhoneNumber  # the person's phone
    destinationNumber: PhoneNumber  # the stack's number they texted
    messageBody: Annotated[StrictStr, Field(max_length=MAX_BODY_CHARS)]
    inboundMessageId: Annotated[StrictStr, Field(pattern=f"^{_MESSAGE_ID.pattern}$")]
    messageKeyword: Annotated[StrictStr, Field(max_length=64)] | None = None


# --- reading a reply ----------------------------------------------------------------


def normalized(text: str) -> str:
    """Lower case, compatibility forms, apostrophes made plain, hyphens and punctuation
    as spaces (``opt-out`` is ``opt out``), spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'").replace("-", " ")
    return " ".join(_WORDS.sub(" ", text).split())


@cache
def _vocabulary() -> dict[str, frozenset[str]]:
    from linters.vocabulary import load

    data = load("sms_replies")
    return {kind: frozenset(normalized(w) for w in data[kind]) for kind in ("revoke", "help", "courtesy")}


def _without_courtesy(words: list[str], courtesy: frozenset[str]) -> list[str]:
    """``words`` with courtesy words and phrases ("please", "thank you") cut from both ends."""
    changed = True
    while changed and words:
        changed = False
        for phrase in courtesy:
            size = len(phrase.split())
            if len(words) > size and " ".join(words[:size]) == phrase:
                words, changed = words[size:], True
            elif len(words) > size and " ".join(words[-size:]) == phrase:
                words, changed = words[:-size], True
    return words


def keyword(body: str) -> str | None:
    """``"revoke"``, ``"help"`` or None for a whole reply (``linters/data/sms_replies.json``)."""
    vocabulary = _vocabulary()
    words = _without_courtesy(normalized(body).split(), vocabulary["courtesy"])
    if len(set(words)) == 1:
        words = words[:1]  # "STOP STOP STOP"
    said = " ".join(words)
    if said in vocabulary["revoke"]:
        return "revoke"
    if said in vocabulary["help"]:
        return "help"
    return None


# --- one invocation -------------------------------------------------------------------


@dataclass(slots=True)
class InboundOutcome(Outcome):
    """``Outcome`` plus what was revoked and answered."""

    revoked: int = 0
    replies: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {**Outcome.to_dict(self), "revoked": self.revoked, "replies": self.replies}


def read_inbound(record: Any, topic_arn: str) -> tuple[datetime, InboundSms]:
    """(when SNS received it, the payload) of one record; FeedbackError naming the field."""
    sns, message = sns_message(record, topic_arn, "inbound SMS topic", "a two-way SMS payload")
    try:
        return sns.Timestamp, InboundSms.model_validate(message)
    except ValidationError as exc:
        raise FeedbackError(f"Sns.Message: {describe_validation_error(exc)}") from None


def reply_request(kind: str, sms: InboundSms, text: str) -> dict[str, Any]:
    """The send request for the guard: a transactional text back from the number they used."""
    return {
        "id": f"sms-{kind}-{sms.inboundMessageId}",
        "channel": "sms",
        "purpose": "transactional",
        "trigger": f"sms-{kind}",
        "from": sms.destinationNumber,
        "to": sms.originationNumber,
        "template": {"text": text},
    }


def act(kind: str, at: datetime, sms: InboundSms, outcome: InboundOutcome) -> None:
    """Record a revocation and queue the reply the policy gives, if any."""
    if kind == "revoke":
        events = [
            (sms.originationNumber, Event(type="unsubscribe", at=at, channel=c, purpose=Purpose.MARKETING))
            for c in REVOKED_CHANNELS
        ]
        write_all(ledger_table(), events, outcome)
        outcome.revoked += 1
    texts = reply_texts(sms.destinationNumber)
    text = texts.stop_text if kind == "revoke" else texts.help_text
    if text:
        put_on_outbox(reply_request("stop" if kind == "revoke" else "help", sms, text))
        outcome.replies += 1


def process(event: Any, now: datetime | None = None, topic_arn: str | None = None) -> InboundOutcome:
    """Act on every revocation and HELP in the invocation; refused and malformed records
    are listed in ``errors``, never raised. AWS errors propagate."""
    outcome = InboundOutcome()
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        outcome.errors.append(
            "event: Records: the inbound SMS function takes SNS records from its topic only"
        )
        return outcome
    if records and topic_arn is None:
        from functions import aws

        topic_arn = aws.setting(INBOUND_SMS_TOPIC_ARN)  # a deployment mistake: raised
    for index, item in enumerate(records):
        try:
            at, sms = read_inbound(item, topic_arn or "")
        except Exception as exc:  # reading a record makes no AWS call: it is the data
            outcome.errors.append(f"Records[{index}]: {_problem(exc)}")
            continue
        kind = keyword(sms.messageBody)
        if kind is None:
            outcome.skipped += 1
            continue
        act(kind, at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC), sms, outcome)
    return outcome


# --- AWS ------------------------------------------------------------------------------

logger = Logger(service="sendguard-inbound-sms")
metrics = Metrics(namespace="sendguard", service="sendguard-inbound-sms")


def reply_texts(number: str) -> Any:
    """The policy's reply texts for the stack's ``number`` (no policy: no replies)."""
    from functions import lookups
    from linters.policy import replies_from_document

    found = lookups.policy_document()
    if found is None:
        from linters.policy import SmsReplies

        return SmsReplies()
    return replies_from_document(*found).for_number(number)


def put_on_outbox(request: dict[str, Any]) -> None:
    from functions import aws

    aws.client("sqs").send_message(
        QueueUrl=aws.setting(aws.OUTBOX_QUEUE_URL), MessageBody=json.dumps(request, ensure_ascii=False)
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point. Refused records are reported (they would fail the same way on
    every retry); an AWS error or a missing setting propagates, and Lambda retries."""
    outcome = process(event)
    metrics.add_metric(name="Revocations", unit=MetricUnit.Count, value=outcome.revoked)
    metrics.add_metric(name="RepliesQueued", unit=MetricUnit.Count, value=outcome.replies)
    metrics.add_metric(name="InboundSmsErrors", unit=MetricUnit.Count, value=len(outcome.errors))
    # Counts only: phone numbers and what people wrote are personal data.
    logger.info("inbound texts read", extra=outcome.to_dict())
    return outcome.to_dict()
