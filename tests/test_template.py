"""template.yaml: cfn-lint clean, and the properties the guard relies on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from functions import local

ROOT = Path(__file__).resolve().parent.parent
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
SENDING_ACTIONS = {
    "ses:SendEmail",
    "ses:SendRawEmail",
    "sns:Publish",
    "sms-voice:SendVoiceMessage",
    "sms-voice:SendTextMessage",
    "ses:*",
    "sns:*",
    "sms-voice:*",
    "*",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return local.load_template(ROOT / "template.yaml")


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in function["Properties"].get("Policies", []):
        if isinstance(policy, dict) and "Statement" in policy:
            found.extend(policy["Statement"])
    return found


def actions(statement: dict[str, Any]) -> set[str]:
    value = statement["Action"]
    return set(value if isinstance(value, list) else [value])


def test_cfn_lint_passes() -> None:
    done = subprocess.run(
        [str(CFN_LINT), str(ROOT / "template.yaml")], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_globals_give_python_312_on_arm64_with_powertools(template: dict[str, Any]) -> None:
    function = template["Globals"]["Function"]
    assert function["Runtime"] == "python3.12"
    assert function["Architectures"] == ["arm64"]
    variables = function["Environment"]["Variables"]
    assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"} <= set(
        variables
    )


def test_outbox_is_encrypted_has_a_dlq_and_reports_item_failures(template: dict[str, Any]) -> None:
    queues = resources_of(template, "AWS::SQS::Queue")
    assert all(q["Properties"].get("SqsManagedSseEnabled") for q in queues.values())
    outbox = queues["OutboxQueue"]["Properties"]
    assert outbox["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["OutboxDeadLetterQueue", "Arn"]}
    guard = template["Resources"]["GuardFunction"]["Properties"]
    assert guard["Handler"] == "functions.guard.handler.lambda_handler"
    [source] = guard["Events"].values()
    assert source["Type"] == "SQS"
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_ledger_decisions_and_idempotency_tables_expire_rows(template: dict[str, Any]) -> None:
    tables = resources_of(template, "AWS::DynamoDB::Table")
    ttl = {
        k: v["Properties"].get("TimeToLiveSpecification", {}).get("AttributeName") for k, v in tables.items()
    }
    assert ttl == {
        "CustomersTable": None,
        "LedgerTable": "ttl",
        "DecisionsTable": "ttl",
        "IdempotencyTable": "expiration",  # Powertools' attribute name
    }


def test_only_the_guard_may_send(template: dict[str, Any]) -> None:
    functions = resources_of(template, "AWS::Serverless::Function")
    senders = {
        name
        for name, function in functions.items()
        if any(actions(s) & SENDING_ACTIONS for s in statements(function))
    }
    assert senders == {"GuardFunction"}


def test_each_table_statement_of_the_guard_names_one_table(template: dict[str, Any]) -> None:
    for statement in statements(template["Resources"]["GuardFunction"]):
        if any(a.startswith("dynamodb:") for a in actions(statement)):
            assert statement["Resource"]["Fn::GetAtt"][1] == "Arn"
            assert "*" not in str(statement["Resource"])


def test_function_environment_resolves_to_the_physical_names() -> None:
    stack = local.Stack(local.load_template(ROOT / "template.yaml"), "us-east-1")
    stack.refs.update(
        OutboxQueue="https://sqs/sendguard-outbox",
        CustomersTable="sendguard-customers",
        LedgerTable="sendguard-ledger",
        DecisionsTable="sendguard-decisions",
        IdempotencyTable="sendguard-idempotency",
        ReviewTopic="arn:aws:sns:us-east-1:123456789012:sendguard-review",
        PolicyParameter="/sendguard/policy",
        SesConfigurationSet="sendguard",
    )
    env = stack.function_environment("GuardFunction")
    assert env["LEDGER_TABLE"] == "sendguard-ledger"
    assert env["POLICY_PARAMETER"] == "/sendguard/policy"
    assert env["POWERTOOLS_SERVICE_NAME"] == "sendguard-guard"  # the function's own beats Globals
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"  # a parameter's default
    assert env["SES_CONFIGURATION_SET"] == "sendguard"
    assert stack.resolve({"Fn::Sub": "${AWS::StackName}-outbox"}) == "sendguard-outbox"


# --- lint API and feedback (issue 7) ------------------------------------------------------


def test_lint_api_and_feedback_roles_cannot_send(template: dict[str, Any]) -> None:
    for name in (
        "LintApiFunction",
        "FeedbackFunction",
        "UnsubscribeFunction",
        "ContactsFunction",
        "OneClickUnsubscribeFunction",
        "InboundSmsFunction",
    ):
        granted = set().union(*(actions(s) for s in statements(template["Resources"][name])))
        assert not granted & SENDING_ACTIONS, name


def test_lint_api_only_reads(template: dict[str, Any]) -> None:
    granted = set().union(*(actions(s) for s in statements(template["Resources"]["LintApiFunction"])))
    assert granted == {"ssm:GetParameter", "ses:GetTemplate"}
    # Customers and the ledger only through the conditional policy (LintApiRecordReads).
    records = template["Resources"]["LintApiRecordReadPolicy"]
    assert records["Condition"] == "RecordReadsEnabled"
    reads = set().union(*(actions(s) for s in records["Properties"]["PolicyDocument"]["Statement"]))
    assert reads == {"dynamodb:GetItem", "dynamodb:Query"}


def test_feedback_only_reads_and_appends_the_ledger(template: dict[str, Any]) -> None:
    ledger, decisions = statements(template["Resources"]["FeedbackFunction"])
    assert actions(ledger) == {"dynamodb:Query", "dynamodb:PutItem"}
    assert ledger["Resource"] == {"Fn::GetAtt": ["LedgerTable", "Arn"]}
    # Unguarded sends are written for review.
    assert actions(decisions) == {"dynamodb:PutItem"}
    assert decisions["Resource"] == {"Fn::GetAtt": ["DecisionsTable", "Arn"]}


def test_lint_api_is_iam_authorised(template: dict[str, Any]) -> None:
    auth = template["Resources"]["LintHttpApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "AWS_IAM"
    routes = template["Resources"]["LintApiFunction"]["Properties"]["Events"].values()
    assert {(r["Properties"]["Method"], r["Properties"]["Path"]) for r in routes} == {
        ("POST", "/check"),
        ("POST", "/check/stored"),
        ("POST", "/lint"),
    }
    assert all(r["Properties"]["ApiId"] == {"Ref": "LintHttpApi"} for r in routes)


def test_ses_feedback_reaches_the_feedback_function(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    guard = resources["GuardFunction"]["Properties"]
    assert guard["Environment"]["Variables"]["SES_CONFIGURATION_SET"] == {"Ref": "SesConfigurationSet"}
    destination = resources["SesFeedbackDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "SesConfigurationSet"}
    # "subscription": opt-outs through SES subscription management ([unsubscribe] method = "ses").
    assert set(destination["EventDestination"]["MatchingEventTypes"]) == {"bounce", "complaint", "send", "subscription"}
    topic = destination["EventDestination"]["SnsDestination"]["TopicARN"]
    [subscription] = resources["FeedbackFunction"]["Properties"]["Events"].values()
    assert subscription == {"Type": "SNS", "Properties": {"Topic": topic}}
    dlq = resources["FeedbackFunction"]["Properties"]["DeadLetterQueue"]
    assert dlq["TargetArn"] == {"Fn::GetAtt": ["FeedbackDeadLetterQueue", "Arn"]}


def test_the_guard_sends_only_through_its_own_configuration_set(template: dict[str, Any]) -> None:
    [send] = [s for s in statements(template["Resources"]["GuardFunction"]) if "ses:SendEmail" in actions(s)]
    configuration_sets = [r for r in send["Resource"] if "configuration-set" in r["Fn::Sub"]]
    assert [r["Fn::Sub"].rsplit("/", 1)[1] for r in configuration_sets] == ["${SesConfigurationSet}"]


def test_outputs_name_the_api_feedback_function_and_configuration_set(template: dict[str, Any]) -> None:
    assert {"LintApiUrl", "FeedbackFunctionArn", "UnsubscribeFunctionArn", "SesConfigurationSetName"} <= set(
        template["Outputs"]
    )


def test_every_function_runs_code_built_by_make_package(template: dict[str, Any]) -> None:
    assert "CodeUri" not in template["Globals"]["Function"]
    functions = resources_of(template, "AWS::Serverless::Function")
    code = {name: f["Properties"]["CodeUri"] for name, f in functions.items()}
    assert code == {
        "GuardFunction": "build/lambda/guard",
        "LintApiFunction": "build/lambda/lint_api",
        "FeedbackFunction": "build/lambda/feedback",
        "UnsubscribeFunction": "build/lambda/feedback",  # applications' entry: the feedback code
        # The campaign preflight runs the engine: the guard's code and the spaCy layer.
        "CampaignChunkFunction": "build/lambda/guard",
        "CampaignSummaryFunction": "build/lambda/guard",
        "ReviewFunction": "build/lambda/guard",  # judges a message again before a release
        # Ask before, record after (issue 31): judges like /check, on the lint API's code.
        "ContactsFunction": "build/lambda/lint_api",
        # The one-click link's route and two-way SMS replies write to the ledger only.
        "OneClickUnsubscribeFunction": "build/lambda/feedback",
        "InboundSmsFunction": "build/lambda/feedback",
    }
    layers = {name: f["Properties"].get("Layers", []) for name, f in functions.items()}
    assert layers == {
        "GuardFunction": [{"Ref": "NlpLayer"}],
        "LintApiFunction": [{"Ref": "NlpLayer"}],
        "FeedbackFunction": [],  # no spaCy
        "UnsubscribeFunction": [],
        "CampaignChunkFunction": [{"Ref": "NlpLayer"}],
        "CampaignSummaryFunction": [{"Ref": "NlpLayer"}],
        "ReviewFunction": [{"Ref": "NlpLayer"}],
        "ContactsFunction": [{"Ref": "NlpLayer"}],
        "OneClickUnsubscribeFunction": [],
        "InboundSmsFunction": [],
    }
    layer = template["Resources"]["NlpLayer"]["Properties"]
    assert layer["ContentUri"] == "build/lambda/nlp-layer"
    assert layer["CompatibleRuntimes"] == [template["Globals"]["Function"]["Runtime"]]
    assert layer["CompatibleArchitectures"] == template["Globals"]["Function"]["Architectures"]
    # `sam build` copies what `make package` built, with the Makefile's build-<id> targets.
    makefile = (ROOT / "Makefile").read_text()
    for name in [*functions, "NlpLayer"]:
        metadata = template["Resources"][name]["Metadata"]
        assert {k: metadata[k] for k in ("BuildMethod", "ContextPath")} == {
            "BuildMethod": "makefile",
            "ContextPath": ".",
        }
        assert f"build-{name}" in makefile
    handlers = {f["Properties"]["Handler"].rsplit(".", 1)[0] for f in functions.values()}
    assert all((ROOT / (module.replace(".", "/") + ".py")).is_file() for module in handlers)


def test_requirements_txt_matches_pyproject() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    required = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert sorted(required) == sorted(project["dependencies"])


def test_the_local_stack_has_the_configuration_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        local._reset_clients()
        stack = local.provision()
        env = stack.function_environment("GuardFunction")
        sets = local._client("sesv2").list_configuration_sets()["ConfigurationSets"]
    local._reset_clients()
    assert env["SES_CONFIGURATION_SET"] == "sendguard" and sets == ["sendguard"]
    assert stack.function_environment("FeedbackFunction")["LEDGER_TABLE"] == "sendguard-ledger"
