"""The lint API answers /check and /lint exactly as the CLI does, and refuses bad bodies by field."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions import aws, lookups
from functions.lint_api import app as api
from sendguard._entry import main as cli
from tests.conftest import create_table

EVENTS = Path(__file__).resolve().parent.parent / "events"
CONTEXT = SimpleNamespace(
    function_name="sendguard-lint-api",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sendguard-lint-api",
    aws_request_id="6f1d2c4e-0000-4000-8000-000000000001",
)


def http_event(path: str, body: Any) -> dict[str, Any]:
    """The sample API Gateway event for ``path`` with another body (``/check/stored``
    is the ``/check`` sample on that route)."""
    sample = path.strip("/").split("/")[0]
    event = json.loads((EVENTS / f"api-{sample}.json").read_text())
    event["body"] = body if isinstance(body, str) else json.dumps(body)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["routeKey"] = event["requestContext"]["routeKey"] = f"POST {path}"
    return event


def call(path: str, body: Any) -> tuple[int, Any]:
    response = api.handler(http_event(path, body), CONTEXT)
    return response["statusCode"], json.loads(response["body"])


def sample_body(path: str) -> dict[str, Any]:
    return json.loads(json.loads((EVENTS / f"api-{path.strip('/')}.json").read_text())["body"])


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS resources unless a test sets them; no policy file discovered by the CLI."""
    for name in ("POLICY_PARAMETER", "CUSTOMERS_TABLE", "LEDGER_TABLE", api.RECORD_READS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.chdir(tmp_path)
    aws.reset()  # also forgets the SSM provider and its cache


def cli_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, Any]:
    capsys.readouterr()
    status = cli(argv)
    return status, json.loads(capsys.readouterr().out)


# --- /check -------------------------------------------------------------------------


def test_check_answers_what_the_cli_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = sample_body("/check")
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(body))

    status, answer = call("/check", body)
    _, printed = cli_json(capsys, ["check", "--format", "json", str(request_file)])

    assert status == 200
    assert answer == printed
    assert answer["decision"] == "rewrite"  # first name to a formal customer, unearned VIP talk


def test_check_of_a_clean_receipt_allows_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = sample_body("/check")
    body.update(
        id="receipt-1042",
        purpose="transactional",
        campaign=None,
        template={
            "subject": "Your receipt for order {{order}}",
            "text": "Dear {{title}} {{last_name}},\n\nThank you for order {{order}}: one umbrella, 24.00 USD.\n\n"
            "Questions? Reply to this email and a person on our team will answer.\n\nNorthwind",
        },
        data={"title": "Mr.", "last_name": "Pendleton", "order": "1042"},
    )
    (tmp_path / "receipt.json").write_text(json.dumps(body))

    status, answer = call("/check", body)
    _, printed = cli_json(capsys, ["check", "--format", "json", str(tmp_path / "receipt.json")])

    assert (status, answer["decision"], answer["findings"]) == (200, "allow", [])
    assert answer == printed


def test_check_stored_loads_customers_like_the_cli_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = sample_body("/check")
    customer = body.pop("customer")
    body["customer_id"] = customer["customer_id"]
    (tmp_path / "request.json").write_text(json.dumps(body))
    (tmp_path / "customers.jsonl").write_text(json.dumps(customer) + "\n")
    monkeypatch.setenv("CUSTOMERS_TABLE", "sendguard-customers")
    monkeypatch.setenv(api.RECORD_READS, "enabled")
    with mock_aws():
        customers_table().put_item(
            Item={"customer_id": customer["customer_id"], "record": json.dumps(customer)}
        )
        status, answer = call("/check/stored", body)
    _, printed = cli_json(
        capsys,
        [
            "check",
            "--format",
            "json",
            "--customers",
            str(tmp_path / "customers.jsonl"),
            str(tmp_path / "request.json"),
        ],
    )

    assert status == 200
    assert answer == printed


def test_check_uses_the_policy_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_PARAMETER", "/sendguard/policy")
    with mock_aws():
        boto3.client("ssm").put_parameter(
            Name="/sendguard/policy",
            Type="String",
            Value=json.dumps({"rules": {"SG102": "warn", "SG201": "warn"}}),
        )
        status, answer = call("/check", sample_body("/check"))

    assert status == 200
    assert answer["decision"] == "allow"
    assert {f["action"] for f in answer["findings"]} == {"warn"}


def customers_table() -> Any:
    return create_table("CustomersTable", "sendguard-customers")


def ledger_with_a_complaint(to: str) -> Any:
    from functions.ledger import put_event
    from linters.models import Event

    table = create_table("LedgerTable", "sendguard-ledger")
    put_event(table, to, Event(type="complaint", at="2026-11-19T08:00:00Z", channel="email"))
    return table


def test_check_stored_sees_the_ledger_when_the_request_has_no_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = sample_body("/check")
    del body["history"]
    monkeypatch.setenv("LEDGER_TABLE", "sendguard-ledger")
    monkeypatch.setenv(api.RECORD_READS, "enabled")
    with mock_aws():
        ledger_with_a_complaint(body["to"])
        status, answer = call("/check/stored", body)

    assert status == 200
    assert answer["decision"] == "block"
    assert "SG601" in [f["rule"] for f in answer["findings"]]


# --- no personal-data oracle ----------------------------------------------------------


def test_check_never_reads_the_ledger_for_the_to_address(monkeypatch: pytest.MonkeyPatch) -> None:
    body = sample_body("/check")
    del body["history"]
    monkeypatch.setenv("LEDGER_TABLE", "sendguard-ledger")
    monkeypatch.setenv(api.RECORD_READS, "enabled")  # even where /check/stored is on
    with mock_aws():
        ledger_with_a_complaint(body["to"])
        status, answer = call("/check", body)

    assert status == 200
    assert "SG601" not in [f["rule"] for f in answer["findings"]]


def known_and_unknown_customer(path: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The answers of ``path`` for a stored customer's id and for an id nobody has."""
    body = sample_body("/check")
    customer = body.pop("customer")
    monkeypatch.setenv("CUSTOMERS_TABLE", "sendguard-customers")
    with mock_aws():
        customers_table().put_item(
            Item={"customer_id": customer["customer_id"], "record": json.dumps(customer)}
        )
        known = call(path, {**body, "customer_id": customer["customer_id"]})
        unknown = call(path, {**body, "customer_id": "c-nobody-at-all"})
    return known, unknown


def test_check_answers_every_customer_id_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    known, unknown = known_and_unknown_customer("/check", monkeypatch)

    assert known[0] == unknown[0] == 400
    assert known[1] == unknown[1]
    assert known[1]["field"] == "customer_id"
    assert sample_body("/check")["customer"]["first_name"] not in json.dumps(known[1])


def test_check_stored_is_off_by_default_and_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    known, unknown = known_and_unknown_customer("/check/stored", monkeypatch)

    assert known == unknown
    assert known[0] == 403
    assert "off on this API" in known[1]["error"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cusomer": {}}, "cusomer"),
        ({"channel": "fax"}, "channel"),
        ({"to": None}, "to"),
        ({"template": {"name": ""}}, "template.name"),
        ({"now": "last tuesday"}, "now"),
    ],
)
def test_check_names_the_bad_field(change: dict[str, Any], field: str) -> None:
    body = {**sample_body("/check"), **change}

    status, answer = call("/check", body)

    assert status == 400
    assert answer["field"] == field
    assert answer["error"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", "empty body"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "a send request is a JSON object"),
    ],
)
def test_check_refuses_a_body_that_is_not_a_request(body: str, problem: str) -> None:
    status, answer = call("/check", body)

    assert status == 400
    assert problem in answer["error"]


def test_a_stored_template_that_does_not_exist_is_a_400() -> None:
    body = {**sample_body("/check"), "template": {"name": "no-such-template"}}
    with mock_aws():
        status, answer = call("/check", body)

    assert (status, answer["field"]) == (400, "template.name")


def test_a_base64_body_is_decoded() -> None:
    event = http_event("/check", sample_body("/check"))
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True

    response = api.handler(event, CONTEXT)

    assert response["statusCode"] == 200
    assert json.loads(response["body"])["id"] == "preview-winback-1"


@pytest.mark.parametrize("path", ["/check", "/lint"])
def test_an_oversized_body_is_a_413(path: str) -> None:
    body = sample_body(path)
    body["template"]["text"] = "Plenty of words here. " * (api.MAX_BODY_BYTES // 20)

    status, answer = call(path, body)

    assert status == 413
    assert "larger than" in answer["error"]


def test_an_unknown_route_is_a_404() -> None:
    event = http_event("/check", sample_body("/check"))
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/send"
    event["routeKey"] = event["requestContext"]["routeKey"] = "POST /send"

    assert api.handler(event, CONTEXT)["statusCode"] == 404


# --- /lint --------------------------------------------------------------------------


def test_lint_answers_what_sendguard_lint_prints(capsys: pytest.CaptureFixture[str]) -> None:
    body = sample_body("/lint")
    with mock_aws():
        boto3.client("ses").create_template(
            Template={
                "TemplateName": body["name"],
                "SubjectPart": body["template"]["subject"],
                "TextPart": body["template"]["text"],
            }
        )
        status, answer = call("/lint", body)
        _, printed = cli_json(capsys, ["lint", "--from-ses", "--format", "json"])

    assert status == 200
    assert [f["rule"] for f in answer["findings"]] == ["SG301", "SG301"]
    # The CLI names an account template "ses/NAME/part"; the API names it "NAME/part".
    assert [f["path"] for f in answer["findings"]] == ["winback/text", "winback/text"]
    for finding in (*answer["findings"], *printed["findings"]):
        finding.pop("path")
    assert answer == printed


def test_lint_of_a_clean_template_has_no_findings() -> None:
    body = {
        "name": "shipped",
        "purpose": "transactional",
        "template": {
            "subject": "Your order {{order}} has shipped",
            "text": "{{#if first_name}}Hello {{first_name}},{{else}}Hello,{{/if}}\n\n"
            "Order {{order}} left our warehouse today. Track it at {{tracking_url}}\n\nNorthwind",
        },
    }

    assert call("/lint", body) == (200, {"findings": [], "customers": []})


def test_lint_with_sample_customers_summarizes_them() -> None:
    body = sample_body("/lint")
    body["template"] = {
        "subject": "Hello {{first_name}}",
        "text": "{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}\n\nOur autumn range is in.\n\nNorthwind",
    }
    body["customers"] = [
        {
            "customer_id": "c-1",
            "first_name": "Arthur",
            "last_name": "Pendleton",
            "title": "Mr.",
            "address_as": "formal",
        },
        {"customer_id": "c-2", "first_name": "Maggie"},
    ]

    status, answer = call("/lint", body)

    assert status == 200
    assert "SG102" in [s["rule"] for s in answer["customers"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"template": None}, "template"),
        ({"template": {}}, "template"),
        ({"channel": "fax"}, "channel"),
        ({"purpose": "sales"}, "purpose"),
        ({"chanel": "sms"}, "chanel"),
        ({"customers": [{"timezone": "Mars/Olympus"}]}, "customers.0.timezone"),
    ],
)
def test_lint_names_the_bad_field(change: dict[str, Any], field: str) -> None:
    body = copy.deepcopy(sample_body("/lint"))
    body.update(change)

    status, answer = call("/lint", body)

    assert status == 400
    assert answer["field"] == field


def test_an_invalid_policy_parameter_is_a_503_not_a_400_or_500(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_PARAMETER", "/sendguard/policy")
    with mock_aws():
        boto3.client("ssm").put_parameter(
            Name="/sendguard/policy", Type="String", Value=json.dumps({"rules": {"SG999": "block"}})
        )
        status, answer = call("/check", sample_body("/check"))

    assert status == 503  # the deployment's fault: the caller cannot fix it, nothing crashed
    assert "policy" in answer["error"]


def full_call(path: str, body: Any) -> tuple[int, dict[str, Any], Any]:
    response = api.handler(http_event(path, body), CONTEXT)
    return response["statusCode"], response.get("headers") or {}, json.loads(response["body"])


@pytest.mark.parametrize("path", ["/check", "/lint"])
def test_a_missing_policy_parameter_is_a_503_with_a_message(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    monkeypatch.setenv("POLICY_PARAMETER", "/sendguard/policy")
    with mock_aws():  # no parameter of that name
        status, headers, answer = full_call(path, sample_body(path))

    assert status == 503
    assert "policy parameter does not exist" in answer["error"] and answer["field"] == ""
    assert "Retry-After" not in headers  # waiting does not help: the operator must fix it
    assert "Traceback" not in json.dumps(answer)


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        '{"rules": {"SG201": {"top_tiers": ' + "[" * 500 + "]" * 500 + "}}}",  # 1 KB, 500 levels
        "[" * 5000 + "]" * 5000,  # deeper than json.loads recurses
        '{"lint": {"exclude": ' + "[" * 500 + "]" * 500 + "}}",
    ],
    ids=["not-json", "deep-500", "deep-5000", "deep-lint-table"],
)
@pytest.mark.parametrize("path", ["/check", "/lint"])
def test_an_unusable_policy_parameter_is_a_503(
    monkeypatch: pytest.MonkeyPatch, path: str, value: str
) -> None:
    monkeypatch.setenv("POLICY_PARAMETER", "/sendguard/policy")
    with mock_aws():
        boto3.client("ssm").put_parameter(Name="/sendguard/policy", Type="String", Value=value)
        status, _, answer = full_call(path, sample_body(path))

    assert status == 503
    assert "policy parameter is invalid" in answer["error"]


def test_a_throttled_policy_read_is_a_503_with_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
    from botocore.exceptions import ClientError

    class Throttled:
        def get(self, *args: Any, **kwargs: Any) -> Any:
            try:
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GetParameter"
                )
            except ClientError as exc:  # as Powertools raises it
                raise GetParameterError(str(exc))  # noqa: B904

    monkeypatch.setenv("POLICY_PARAMETER", "/sendguard/policy")
    monkeypatch.setattr(aws, "ssm_parameters", lambda: Throttled())

    status, headers, answer = full_call("/check", sample_body("/check"))

    assert status == 503
    assert headers["Retry-After"] == str(aws.RETRY_AFTER)
    assert "ThrottlingException" in answer["error"] and "try again" in answer["error"]


def test_a_failing_ses_read_is_a_503_not_a_500(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import EndpointConnectionError

    def unreachable(name: str) -> Any:
        raise EndpointConnectionError(endpoint_url="https://email.us-east-1.amazonaws.com")

    monkeypatch.setattr(lookups, "read_template", unreachable)
    body = sample_body("/check")
    body["template"] = {"name": "winback"}

    status, headers, answer = full_call("/check", body)

    assert status == 503
    assert headers["Retry-After"] == str(aws.RETRY_AFTER)
    assert "EndpointConnectionError" in answer["error"]


def test_lint_with_a_sample_customer_the_template_cannot_render_for_is_a_400() -> None:
    body = sample_body("/lint")
    body["template"] = {
        "subject": "Hello {{first_name}}",
        "text": "Hi {{first_name}}, " * 12 + "\n\nNorthwind",
    }
    body["customers"] = [
        {"customer_id": "c-1", "first_name": "Arthur"},
        {"customer_id": "c-2", "first_name": "x" * 9000},  # renders past the readable-text limit
    ]

    status, answer = call("/lint", body)

    assert status == 400
    assert answer["field"] == "customers.1"
    assert "'c-2'" in answer["error"] and "template.text" in answer["error"]


def test_answers_carry_no_raw_control_characters() -> None:
    body = sample_body("/lint")
    body["name"] = "winback\x9b\u2028\x1b"

    response = api.handler(http_event("/lint", body), CONTEXT)

    assert response["statusCode"] == 200
    assert not any(0x7F <= ord(c) <= 0x9F or c in "\u2028\x1b" for c in response["body"])
    paths = {f["path"] for f in json.loads(response["body"])["findings"]}
    assert paths == {"winback\x9b\u2028\x1b/text"}  # the same data, escaped as JSON


@pytest.mark.parametrize("channel", ["postal", "in_app"])
def test_lint_reads_templates_for_postcards_and_in_app_messages(channel: str) -> None:
    # Contacts the guard does not send (issue 31) are still linted before a campaign:
    # a postcard to "Current Resident" that calls itself urgent is caught there too.
    body = sample_body("/lint")
    body["channel"] = channel
    body["purpose"] = "marketing"
    body["template"] = {"text": "URGENT information for you, Current Resident: act now to lock in your rate."}
    body.pop("customers", None)

    status, answer = call("/lint", body)

    assert status == 200, answer
    assert "SG301" in json.dumps(answer)
