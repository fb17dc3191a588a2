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
SENDING_ACTIONS = {"ses:SendEmail", "ses:SendRawEmail", "sns:Publish", "ses:*", "sns:*", "*"}


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
    assert guard["Handler"] == "functions.guard.app.lambda_handler"
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
    )
    env = stack.function_environment("GuardFunction")
    assert env["LEDGER_TABLE"] == "sendguard-ledger"
    assert env["POLICY_PARAMETER"] == "/sendguard/policy"
    assert env["POWERTOOLS_SERVICE_NAME"] == "sendguard-guard"  # the function's own beats Globals
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"  # a parameter's default
    assert stack.resolve({"Fn::Sub": "${AWS::StackName}-outbox"}) == "sendguard-outbox"
