"""Shared test helpers: build realistic send requests with little noise."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from linters.engine import check
from linters.findings import Result
from linters.models import parse_request
from linters.policy import Policy

BASE_REQUEST: dict[str, Any] = {
    "id": "test-1",
    "channel": "email",
    "purpose": "marketing",
    "from": "hello@northwind.example",
    "to": "customer@example.com",
    "now": "2026-11-20T15:00:00Z",
}


def make_request(template: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    request = copy.deepcopy(BASE_REQUEST)
    request["template"] = template or {"subject": "Hello", "text": "Hello."}
    request.update(fields)
    return request


def judge(template: dict[str, Any] | None = None, policy: Policy | None = None, **fields: Any) -> Result:
    return check(parse_request(make_request(template, **fields)), policy)


def rules_of(result: Result) -> list[str]:
    return [f.rule for f in result.findings]


@pytest.fixture(scope="session", autouse=True)
def lean_botocore_data(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every AWS test talks through the lean botocore data, as the Lambda artifacts do
    (functions.botocore_data), whether or not this machine writes bytecode."""
    from functions import botocore_data

    folder = tmp_path_factory.mktemp("botocore") / "lean"
    botocore_data.write(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore_data, "SHIPPED", folder)
        yield folder


@pytest.fixture
def arthur() -> dict[str, Any]:
    """A man who has never used his first name, and bought once."""
    return {
        "customer_id": "c-arthur",
        "first_name": "Arthur",
        "last_name": "Pendleton",
        "title": "Mr.",
        "address_as": "formal",
        "purchase_count": 1,
        "lifetime_value": 42.0,
        "customer_since": "2026-03-02T00:00:00Z",
        "consent": {"email_marketing": True, "personalization": False},
        "timezone": "America/New_York",
    }


@pytest.fixture
def regular() -> dict[str, Any]:
    """A long-time customer with twelve orders who goes by her preferred name."""
    return {
        "customer_id": "c-maggie",
        "first_name": "Margaret",
        "preferred_name": "Maggie",
        "last_name": "Okafor",
        "purchase_count": 12,
        "lifetime_value": 1450.0,
        "tier": "silver",
        "customer_since": "2019-05-14T00:00:00Z",
        "consent": {"email_marketing": True, "sms_marketing": True, "personalization": True},
        "timezone": "Europe/London",
    }


def create_table(logical_id: str, name: str) -> Any:
    """A DynamoDB table (moto must be active) with the keys template.yaml gives ``logical_id``."""
    import boto3

    from functions import local

    properties = local.load_template()["Resources"][logical_id]["Properties"]
    return boto3.resource("dynamodb").create_table(
        TableName=name,
        KeySchema=properties["KeySchema"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        BillingMode="PAY_PER_REQUEST",
    )
