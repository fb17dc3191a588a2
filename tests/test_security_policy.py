"""Prevention: policies/ deny sending to every principal but the guard's role, and the
guard's own role reaches only what it needs (evaluated offline with tests/iam_policy.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions import local
from tests.iam_policy import Request, allows, applies, arn_like, denies

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
ACCOUNT = "123456789012"
REGION = "us-east-1"

GUARD = f"arn:aws:iam::{ACCOUNT}:role/sendguard/guard/sendguard-GuardFunctionRole-Q1w2E3r4T5y6"
STAGING_GUARD = f"arn:aws:iam::{ACCOUNT}:role/sendguard/guard/sendguard-staging-GuardFunctionRole-Z9x8"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/sendguard/deployer/github-actions"
NOT_THE_GUARD = {
    "an application role": f"arn:aws:iam::{ACCOUNT}:role/checkout-service",
    "an administrator (SSO)": (
        f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0a1b2c3d"
    ),
    "an SES SMTP user": f"arn:aws:iam::{ACCOUNT}:user/ses-smtp-user.20261122-093000",
    "a look-alike name": f"arn:aws:iam::{ACCOUNT}:role/sendguard-guard-GuardFunctionRole-Q1w2E3r4T5y6",
    "the guard's path one level up": f"arn:aws:iam::{ACCOUNT}:role/sendguard/guardian",
    "the lint API's role": f"arn:aws:iam::{ACCOUNT}:role/sendguard-LintApiFunctionRole-AbCdEf",
}

IDENTITY = f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/northwind.example"
CONFIGURATION_SET = f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/sendguard"
REVIEW_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:sendguard-review"
FEEDBACK_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:sendguard-ses-feedback"
OTHER_TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:payments-alerts"
PUSH_ENDPOINT = (
    f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/APNS/northwind-ios/6a1f0c2e-55aa-3b1c-9d4e-0f1e2d3c4b5a"
)
GUARD_ROLE = GUARD

# Every way to send email through SES, v1 and v2 (SESv2 SendEmail, simple, raw or
# templated, authorises as ses:SendEmail; SESv2 SendBulkEmail as ses:SendBulkEmail;
# SMTP as ses:SendRawEmail), each on the resources SES authorises it against.
EMAIL_SENDS = [
    Request.by("", "ses:SendEmail", IDENTITY),
    Request.by("", "ses:SendEmail", CONFIGURATION_SET),
    Request.by("", "ses:SendRawEmail", IDENTITY),
    Request.by("", "ses:SendTemplatedEmail", IDENTITY),
    Request.by("", "ses:SendBulkTemplatedEmail", IDENTITY),
    Request.by("", "ses:SendBulkEmail", IDENTITY),
    Request.by("", "ses:SendCustomVerificationEmail", "*"),
]
# SMS to a phone number has no resource ARN; push goes to a platform endpoint.
TEXT_SENDS = [
    Request.by("", "sns:Publish", "*"),
    Request.by("", "sns:Publish", PUSH_ENDPOINT),
    Request.by("", "sms-voice:SendTextMessage", "*"),
    Request.by("", "mobiletargeting:SendMessages", "*"),
]


def as_principal(request: Request, principal: str) -> Request:
    return Request.by(principal, request.action, request.resource)


def load(name: str) -> dict[str, Any]:
    return json.loads((POLICIES / name).read_text())


@pytest.fixture(
    scope="module", params=["only-the-guard-sends.scp.json", "only-the-guard-sends.boundary.json"]
)
def policy(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


@pytest.mark.parametrize("send", EMAIL_SENDS + TEXT_SENDS, ids=lambda r: f"{r.action}:{r.resource[-24:]}")
@pytest.mark.parametrize("who", sorted(NOT_THE_GUARD))
def test_no_one_but_the_guard_sends(policy: dict[str, Any], send: Request, who: str) -> None:
    assert denies(policy, as_principal(send, NOT_THE_GUARD[who]))


@pytest.mark.parametrize("send", EMAIL_SENDS + TEXT_SENDS, ids=lambda r: f"{r.action}:{r.resource[-24:]}")
@pytest.mark.parametrize("guard", [GUARD, STAGING_GUARD])
def test_the_guard_roles_may_send(policy: dict[str, Any], send: Request, guard: str) -> None:
    assert not denies(policy, as_principal(send, guard))


def test_action_names_match_in_any_case(policy: dict[str, Any]) -> None:
    assert denies(policy, Request.by(NOT_THE_GUARD["an application role"], "SES:sendEmail", IDENTITY))


@pytest.mark.parametrize(
    "request_",
    [
        Request.by(
            NOT_THE_GUARD["an application role"], "sns:Publish", OTHER_TOPIC
        ),  # apps keep their topics
        Request.by(NOT_THE_GUARD["an application role"], "ses:GetTemplate", "*"),
        Request.by(NOT_THE_GUARD["an application role"], "ses:CreateEmailIdentity", IDENTITY),
        Request.by(NOT_THE_GUARD["an application role"], "sqs:SendMessage", "*"),  # producers use the outbox
        Request.by(
            NOT_THE_GUARD["an application role"], "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/app/x"
        ),
    ],
    ids=lambda r: f"{r.action}:{r.resource[-24:]}",
)
def test_everything_else_is_left_alone(policy: dict[str, Any], request_: Request) -> None:
    assert not denies(policy, request_)


@pytest.mark.parametrize(
    "action", ["iam:PassRole", "iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy"]
)
def test_only_the_deployer_makes_or_passes_roles_on_the_guards_path(
    policy: dict[str, Any], action: str
) -> None:
    target = f"arn:aws:iam::{ACCOUNT}:role/sendguard/guard/my-own-guard"
    assert denies(policy, Request.by(NOT_THE_GUARD["an administrator (SSO)"], action, target))
    assert not denies(policy, Request.by(DEPLOYER, action, target))


def test_the_boundary_denies_what_the_scp_denies_and_allows_the_rest() -> None:
    scp, boundary = load("only-the-guard-sends.scp.json"), load("only-the-guard-sends.boundary.json")
    assert [s for s in boundary["Statement"] if s["Effect"] == "Deny"] == scp["Statement"]
    app = NOT_THE_GUARD["an application role"]
    assert allows(boundary, Request.by(app, "dynamodb:GetItem", "arn:aws:dynamodb:::table/orders"))
    assert not allows(boundary, Request.by(app, "ses:SendEmail", IDENTITY))


def _arns(value: Any) -> list[str]:
    return [v for v in (value if isinstance(value, list) else [value]) if v != "*"]


@pytest.mark.parametrize("name", sorted(p.name for p in POLICIES.glob("*.json")))
def test_every_resource_arn_in_the_policies_has_six_parts(name: str) -> None:
    """An ARN is arn:partition:service:region:account:resource (parliament's
    MALFORMED_RESOURCE otherwise): "arn:*:sns:*" is not "every SNS ARN" to IAM."""
    statements = load(name)["Statement"]
    arns = [arn for s in statements for key in ("Resource", "NotResource") for arn in _arns(s.get(key, []))]
    assert arns
    for arn in arns:
        parts = arn.split(":", 5)
        assert len(parts) == 6 and parts[0] == "arn" and all(parts[i] for i in (2, 5)), arn


def test_the_sms_deny_exempts_every_sns_topic_and_endpoint_and_nothing_else(policy: dict[str, Any]) -> None:
    [sms] = [s for s in policy["Statement"] if s["Sid"] == "OnlyTheGuardSendsSms"]
    assert sms["NotResource"] == "arn:*:sns:*:*:*"
    app = NOT_THE_GUARD["an application role"]
    for exempt in (OTHER_TOPIC, f"arn:aws-us-gov:sns:us-gov-west-1:{ACCOUNT}:alerts.fifo"):
        assert not applies(sms, Request.by(app, "sns:Publish", exempt)), exempt
    for phone in ("*", "+447700900123"):
        assert applies(sms, Request.by(app, "sns:Publish", phone)), phone


def test_the_guards_sms_statement_uses_a_six_part_arn(guard_policy: dict[str, Any]) -> None:
    [sms] = [s for s in guard_policy["Statement"] if s["Sid"] == "SendSms"]
    assert sms["NotResource"] == "arn:aws:sns:*:*:*"


def test_the_scp_fits_the_size_limit() -> None:
    text = (POLICIES / "only-the-guard-sends.scp.json").read_text()
    assert len(json.dumps(json.loads(text), separators=(",", ":"))) <= 5120  # AWS Organizations' SCP limit


def test_the_exempt_path_is_the_guard_roles_path_in_the_template() -> None:
    template = local.load_template(ROOT / "template.yaml")
    path = template["Resources"]["GuardFunction"]["Properties"]["RolePath"]
    assert template["Outputs"]["GuardRolePath"]["Value"] == path
    patterns = {
        p
        for s in load("only-the-guard-sends.scp.json")["Statement"]
        if s["Sid"] != "OnlyTheDeployerMakesGuardRoles"
        for p in [s["Condition"]["ArnNotLike"]["aws:PrincipalArn"]]
    }
    assert patterns == {f"arn:*:iam::*:role{path}*"}


# --- the evaluator itself: the IAM rules the tests above lean on ---------------------------


def test_arn_like_matches_each_part_on_its_own() -> None:
    assert arn_like("arn:*:iam::*:role/sendguard/guard/*", GUARD)
    assert arn_like("arn:aws:sns:*:*:*", OTHER_TOPIC)
    # A wildcard does not reach across a colon in ArnLike.
    assert not arn_like("arn:aws:sns:*", OTHER_TOPIC)
    assert not arn_like("arn:*:iam::*:role/sendguard/guard/*", "not-an-arn")


def deny_everything_if(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}


def test_a_negated_operator_holds_when_the_key_is_missing_and_a_plain_one_does_not() -> None:
    anything = Request("s3:GetObject", "*")
    assert applies(deny_everything_if({"StringNotLike": {"aws:x": "a*"}}), anything)
    assert not applies(deny_everything_if({"StringLike": {"aws:x": "a*"}}), anything)


def test_an_unknown_operator_is_refused_not_guessed() -> None:
    statement = deny_everything_if({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}})
    with pytest.raises(ValueError, match="IpAddress"):
        applies(statement, Request.by(GUARD, "ses:SendEmail"))


# --- the guard's own role (template.yaml) ------------------------------------------------


@pytest.fixture(scope="module")
def guard_policy() -> dict[str, Any]:
    """The guard's inline statements with the intrinsics resolved as CloudFormation would."""
    template = local.load_template(ROOT / "template.yaml")
    stack = local.Stack(template, REGION)
    stack.refs.update(ReviewTopic=REVIEW_TOPIC, SesConfigurationSet="sendguard")
    for logical in ("CustomersTable", "LedgerTable", "DecisionsTable", "IdempotencyTable", "OutboxQueue"):
        stack.arns[logical] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{logical}"
    [inline] = [
        p for p in template["Resources"]["GuardFunction"]["Properties"]["Policies"] if "Statement" in p
    ]
    return {"Statement": stack.resolve(inline["Statement"])}


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        (REVIEW_TOPIC, True),
        ("*", True),  # SMS to a phone number
        (PUSH_ENDPOINT, True),
        (OTHER_TOPIC, False),
        (f"arn:aws:sns:{REGION}:{ACCOUNT}:sendguard-ses-feedback", False),
        (f"arn:aws:sns:eu-west-1:{ACCOUNT}:endpoint/GCM/other-app/1", False),
    ],
)
def test_the_guard_publishes_only_notices_sms_and_push(
    guard_policy: dict[str, Any], resource: str, allowed: bool
) -> None:
    assert allows(guard_policy, Request.by(GUARD_ROLE, "sns:Publish", resource)) is allowed


def test_the_guard_sends_email_from_its_identity_with_its_configuration_set(
    guard_policy: dict[str, Any],
) -> None:
    assert allows(guard_policy, Request.by(GUARD_ROLE, "ses:SendEmail", IDENTITY))
    assert allows(guard_policy, Request.by(GUARD_ROLE, "ses:SendEmail", CONFIGURATION_SET))
    other_set = f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/no-events"
    assert not allows(guard_policy, Request.by(GUARD_ROLE, "ses:SendEmail", other_set))
    assert not allows(guard_policy, Request.by(GUARD_ROLE, "ses:SendRawEmail", IDENTITY))


# --- hardening and detection wiring in template.yaml -----------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return local.load_template(ROOT / "template.yaml")


def test_every_checkov_skip_gives_its_reason(template: dict[str, Any]) -> None:
    skips = [
        (name, skip)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert skip["id"].startswith("CKV_"), name
        assert len(skip.get("comment", "").split()) >= 5, f"{name} skips {skip['id']} without a reason"


def test_tables_holding_suppression_and_decisions_are_recoverable(template: dict[str, Any]) -> None:
    for name in ("LedgerTable", "CustomersTable", "DecisionsTable"):
        recovery = template["Resources"][name]["Properties"]["PointInTimeRecoverySpecification"]
        assert recovery == {"PointInTimeRecoveryEnabled": True}, name


def test_every_function_has_reserved_concurrency(template: dict[str, Any]) -> None:
    for name in ("GuardFunction", "LintApiFunction", "FeedbackFunction", "UnsubscribeFunction"):
        assert template["Resources"][name]["Properties"]["ReservedConcurrentExecutions"] > 0, name


def test_the_api_access_log_holds_no_personal_data(template: dict[str, Any]) -> None:
    settings = template["Resources"]["LintHttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["LintApiAccessLogs", "Arn"]}
    fields = json.loads(settings["Format"])
    logged = " ".join(fields.values())
    assert "$context.requestId" in logged and "$context.routeKey" in logged
    for personal in ("sourceIp", "userAgent", "userArn", "identity.caller", "identity.user", "path"):
        assert personal not in logged, personal
    assert template["Resources"]["LintApiAccessLogs"]["Properties"]["RetentionInDays"] > 0


def test_the_alarm_watches_the_metric_the_feedback_function_emits(template: dict[str, Any]) -> None:
    from functions.feedback import app as feedback

    alarm = template["Resources"]["UnguardedSendAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (feedback.metrics.namespace, "UnguardedSends")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": feedback.metrics.service}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["AlarmActions"] == [{"Ref": "ReviewTopic"}]


def test_the_sending_identity_defaults_to_the_guards_configuration_set(template: dict[str, Any]) -> None:
    identity = template["Resources"]["SenderEmailIdentity"]
    assert identity["Properties"]["EmailIdentity"] == {"Ref": "SenderIdentity"}
    default = identity["Properties"]["ConfigurationSetAttributes"]["ConfigurationSetName"]
    assert default == {"Ref": "SesConfigurationSet"}
    feedback_env = template["Resources"]["FeedbackFunction"]["Properties"]["Environment"]["Variables"]
    assert feedback_env["DECISIONS_TABLE"] == {"Ref": "DecisionsTable"}


# --- who may put suppression on the ledger (issue 27, item 4) -------------------------------


@pytest.fixture(scope="module")
def feedback_topic_policy(template: dict[str, Any]) -> dict[str, Any]:
    """The feedback topic's policy, resolved (principals kept apart: the evaluator has none)."""
    stack = local.Stack(template, REGION)
    stack.refs.update(SesFeedbackTopic=FEEDBACK_TOPIC, SesConfigurationSet="sendguard")
    document = template["Resources"]["SesFeedbackTopicPolicy"]["Properties"]["PolicyDocument"]
    return {"Statement": stack.resolve(document["Statement"])}


def _by_principal(policy: dict[str, Any], principal: Any) -> dict[str, Any]:
    statements = [
        {k: v for k, v in s.items() if k != "Principal"}
        for s in policy["Statement"]
        if s["Principal"] in ("*", principal)
    ]
    return {"Statement": statements}


def test_only_ses_publishes_to_the_feedback_topic(feedback_topic_policy: dict[str, Any]) -> None:
    ses = _by_principal(feedback_topic_policy, {"Service": "ses.amazonaws.com"})
    from_the_set = Request(
        "sns:Publish",
        FEEDBACK_TOPIC,
        {"aws:SourceArn": CONFIGURATION_SET, "aws:SourceAccount": ACCOUNT},
    )
    assert allows(ses, from_the_set)
    other_set = Request(
        "sns:Publish",
        FEEDBACK_TOPIC,
        {"aws:SourceArn": f"{CONFIGURATION_SET}-other", "aws:SourceAccount": ACCOUNT},
    )
    assert denies(ses, other_set)
    # An IAM principal of the account (no aws:SourceArn: only services set it) is denied,
    # whatever its own policies allow: it cannot forge a bounce on the topic.
    anyone = _by_principal(feedback_topic_policy, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    for who in (GUARD, NOT_THE_GUARD["an application role"], NOT_THE_GUARD["an administrator (SSO)"]):
        assert denies(anyone, Request.by(who, "sns:Publish", FEEDBACK_TOPIC)), who
