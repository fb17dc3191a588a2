"""Detection: an email sent straight to SES, past the guard, is found by the feedback function.

The sends go through boto3 to moto's SESv2. moto records the message but does not
publish configuration-set events, so ``ses_send_notification`` builds the Send event SES
would publish to the feedback topic from what moto recorded and what the caller asked
SES for (its configuration set and message tags). That stands in for AWS only; the
feedback handler, the decisions table and the metrics are the real ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from functions import aws, local
from functions.feedback import app as feedback
from functions.feedback.unguarded import DECISION_TAG
from functions.local import LocalContext
from tests.conftest import create_table
from tests.test_guard import RECEIPT  # a receipt from northwind.example, which DOMAIN names

REGION = "us-east-1"
CONFIGURATION_SET = "sendguard"
DOMAIN = "northwind.example"
CONTEXT = LocalContext(function_name="sendguard-feedback")
FEEDBACK_TOPIC = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:sendguard-ses-feedback"

WINBACK = {
    "Simple": {
        "Subject": {"Data": "We miss you, Maggie!"},
        "Body": {"Text": {"Data": "Hi Maggie, it's been a while. Here is 20% off, just for you."}},
    }
}


class SesAccount:
    """moto's SES, plus what each caller asked SES for (SES keeps the tags; moto does not)."""

    def __init__(self, client: Any = None) -> None:
        self.client = client or boto3.client("sesv2", region_name=REGION)
        self.requests: list[dict[str, Any]] = []
        self.client.meta.events.register("provide-client-params.sesv2.SendEmail", self._remember)

    @classmethod
    def watching(cls, client: Any) -> SesAccount:
        """Remember what another component (the guard) asks SES for through ``client``."""
        return cls(client)

    def _remember(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(dict(params))

    def send(self, **params: Any) -> str:
        return self.client.send_email(**params)["MessageId"]


def ses_send_notification(message_id: str, request: dict[str, Any], caller: str) -> dict[str, Any] | None:
    """The Send event SES publishes for one accepted email: the identity's default
    configuration set unless the request names one, SES's own ``ses:`` tags and the
    request's EmailTags in ``mail.tags``. None when no configuration set applies (SES
    then publishes nothing)."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    sent = next(m for m in backend.sent_messages if m.id == message_id)
    domain = sent.source.rsplit("@", 1)[1]
    identity = backend.email_identities[domain]
    configuration_set = request.get("ConfigurationSetName") or identity.configuration_set_name
    if not configuration_set:
        return None
    tags: dict[str, list[str]] = {
        "ses:configuration-set": [configuration_set],
        "ses:operation": ["SendEmail"],
        "ses:from-domain": [domain],
        "ses:caller-identity": [caller],
        "ses:source-ip": ["192.0.2.10"],
    }
    for tag in request.get("EmailTags", []):
        tags[tag["Name"]] = [tag["Value"]]
    destination = [
        a for kind in ("ToAddresses", "CcAddresses", "BccAddresses") for a in sent.destinations.get(kind, [])
    ]
    return {
        "eventType": "Send",
        "mail": {
            "timestamp": "2026-11-22T21:04:05.123Z",
            "source": sent.source,
            "sourceArn": f"arn:aws:ses:{REGION}:{DEFAULT_ACCOUNT_ID}:identity/{domain}",
            "sendingAccountId": DEFAULT_ACCOUNT_ID,
            "messageId": message_id,
            "destination": destination,
            "headersTruncated": False,
            "commonHeaders": {"from": [sent.source], "to": destination, "subject": sent.subject},
            "tags": tags,
        },
        "send": {},
    }


def sns_event(*notifications: dict[str, Any]) -> dict[str, Any]:
    """What SNS hands the feedback function for messages published to the feedback topic."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{FEEDBACK_TOPIC}:0b2b7e5c-2f53-4a55-9e1c-4c2b1f3f0a11",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": f"5f1c1a2e-2222-5d6b-9b2a-0b1d2e3f4a{index:02d}",
                    "TopicArn": FEEDBACK_TOPIC,
                    "Subject": None,
                    "Message": json.dumps(notification),
                    "Timestamp": "2026-11-22T21:04:06.000Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
            for index, notification in enumerate(notifications)
        ]
    }


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SesAccount, Any]]:
    """An SES account whose sending domain has the guard's configuration set by default
    (as template.yaml's SenderEmailIdentity sets it), and the decisions table."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "DECISIONS_TABLE": "sendguard-decisions",
        "LEDGER_TABLE": "sendguard-ledger",
        "FEEDBACK_TOPIC_ARN": FEEDBACK_TOPIC,  # sns_event's records come from this topic
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    aws.reset()
    with mock_aws():
        ses = SesAccount()
        ses.client.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
        ses.client.create_email_identity(EmailIdentity=DOMAIN, ConfigurationSetName=CONFIGURATION_SET)
        decisions = create_table("DecisionsTable", "sendguard-decisions")
        yield ses, decisions
    aws.reset()


def metric_values(output: str, name: str) -> list[float]:
    """Values of one metric in the CloudWatch embedded-metric lines the handler printed."""
    values = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            blob = json.loads(line)
            if name in blob:
                values.append(blob[name] if not isinstance(blob[name], list) else sum(blob[name]))
    return values


def direct_send(ses: SesAccount, **extra: Any) -> tuple[str, dict[str, Any]]:
    message_id = ses.send(
        FromEmailAddress=f"hello@{DOMAIN}",
        Destination={"ToAddresses": ["maggie.okafor@example.com"]},
        Content=WINBACK,
        **extra,
    )
    return message_id, ses.requests[-1]


def test_an_email_sent_straight_to_ses_is_an_unguarded_send(
    account: tuple[SesAccount, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ses, decisions = account
    message_id, request = direct_send(ses)  # no configuration set named: the identity's default applies
    notification = ses_send_notification(message_id, request, caller="marketing-batch-job")
    assert notification is not None

    capsys.readouterr()
    outcome = feedback.handler(sns_event(notification), CONTEXT)
    printed = capsys.readouterr().out

    assert (outcome["unguarded"], outcome["guarded"], outcome["errors"]) == (1, 0, [])
    row = decisions.get_item(Key={"id": f"unguarded#{message_id}"})["Item"]
    assert (row["decision"], row["quarantined"]) == ("unguarded", True)
    [finding] = json.loads(row["findings"])
    assert finding["rule"] == "unguarded-send"
    assert finding["caller"] == "marketing-batch-job"
    assert finding["identity"].endswith(f":identity/{DOMAIN}")
    assert finding["recipients"] == 1
    # The review row names the sender, never the recipient or the content.
    assert "maggie" not in json.dumps(row, default=str).lower()
    assert metric_values(printed, "UnguardedSends") == [1]


def test_a_send_tagged_by_the_guard_is_not_flagged(
    account: tuple[SesAccount, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ses, decisions = account
    message_id, request = direct_send(
        ses,
        ConfigurationSetName=CONFIGURATION_SET,
        EmailTags=[{"Name": DECISION_TAG, "Value": "winback-1042"}],
    )
    notification = ses_send_notification(message_id, request, caller="sendguard-GuardFunctionRole")
    assert notification is not None

    capsys.readouterr()
    outcome = feedback.handler(sns_event(notification), CONTEXT)
    printed = capsys.readouterr().out

    assert (outcome["unguarded"], outcome["guarded"]) == (0, 1)
    assert decisions.scan()["Items"] == []
    assert metric_values(printed, "UnguardedSends") == [0]
    assert metric_values(printed, "GuardedSends") == [1]


def test_one_invocation_sorts_guarded_from_unguarded_and_a_redelivery_is_one_row(
    account: tuple[SesAccount, Any],
) -> None:
    ses, decisions = account
    rogue_id, rogue = direct_send(ses)
    guarded_id, guarded = direct_send(ses, EmailTags=[{"Name": DECISION_TAG, "Value": "receipt-1042"}])
    rogue_event = ses_send_notification(rogue_id, rogue, caller="legacy-mailer")
    guarded_event = ses_send_notification(guarded_id, guarded, caller="sendguard-GuardFunctionRole")
    assert rogue_event and guarded_event

    first = feedback.handler(sns_event(rogue_event, guarded_event), CONTEXT)
    again = feedback.handler(sns_event(rogue_event), CONTEXT)  # SNS delivers at least once

    assert (first["unguarded"], first["guarded"], again["unguarded"]) == (1, 1, 1)
    assert [item["id"] for item in decisions.scan()["Items"]] == [f"unguarded#{rogue_id}"]


def test_a_send_event_without_a_message_id_is_reported_by_field(account: tuple[SesAccount, Any]) -> None:
    broken = {"eventType": "Send", "mail": {"timestamp": "2026-11-22T21:04:05Z", "tags": {}}, "send": {}}

    outcome = feedback.handler(sns_event(broken), CONTEXT)

    assert outcome["unguarded"] == 0
    assert outcome["errors"] == ["Records[0]: mail.messageId: required field is missing"]


def test_an_empty_decision_tag_does_not_count_as_guarded(account: tuple[SesAccount, Any]) -> None:
    ses, _ = account
    message_id, request = direct_send(ses, EmailTags=[{"Name": DECISION_TAG, "Value": ""}])
    notification = ses_send_notification(message_id, request, caller="someone")
    assert notification is not None

    assert feedback.handler(sns_event(notification), CONTEXT)["unguarded"] == 1


# --- the real guard's sends are not flagged ------------------------------------------------


def test_an_email_the_guard_sends_is_not_an_unguarded_send(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.guard import app as guard

    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        aws.reset()
        guard.reset()
        stack = local.provision()
        for key, value in stack.function_environment("GuardFunction").items():
            monkeypatch.setenv(key, value)
        local.verify_senders([RECEIPT["from"]])
        ses = SesAccount.watching(aws.send_client("sesv2"))  # the guard sends with its no-retry client
        aws.client("sqs").send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=json.dumps(RECEIPT))
        local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], guard.lambda_handler, rounds=1)
        [request] = ses.requests
        sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages[-1]
        notification = ses_send_notification(sent.id, request, caller="sendguard-GuardFunctionRole")
        assert notification is not None
        for key, value in stack.function_environment("FeedbackFunction").items():
            monkeypatch.setenv(key, value)
        outcome = feedback.handler(sns_event(notification), CONTEXT)
        guard.reset()
    aws.reset()

    assert (outcome["guarded"], outcome["unguarded"]) == (1, 0)
