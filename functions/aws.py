"""boto3 clients and the environment that names the resources, shared by every function.

Clients are built once per process (a Lambda container, a test, the demo) and reused;
``reset()`` forgets them, for tests that start a fresh moto. Endpoints come from the
standard ``AWS_ENDPOINT_URL`` (or ``AWS_ENDPOINT_URL_<SERVICE>``) variables, which is how
the demo and ``sendguard invoke`` point everything at an embedded moto server.

Retries: every client retries throttling, 5xx answers and connection errors on its own
(botocore's standard mode, RETRY_ATTEMPTS attempts), so one slow write is retried by
itself and never makes the guard repeat the steps before it. The clients that *send*
(``send_client``) never retry: SES has no idempotency token, and a send retried after a
timeout may be a second email. The guard's delivery record handles their failures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Environment variable names: template.yaml sets them on the functions.
OUTBOX_QUEUE_URL = "OUTBOX_QUEUE_URL"
CUSTOMERS_TABLE = "CUSTOMERS_TABLE"
LEDGER_TABLE = "LEDGER_TABLE"
DECISIONS_TABLE = "DECISIONS_TABLE"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE"  # the guard's delivery records (functions.guard.delivery)
REVIEW_TOPIC_ARN = "REVIEW_TOPIC_ARN"
POLICY_PARAMETER = "POLICY_PARAMETER"
SES_CONFIGURATION_SET = "SES_CONFIGURATION_SET"


class MissingSetting(RuntimeError):
    """A required environment variable is not set: a deployment mistake, never data."""


def setting(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingSetting(f"environment variable {name} is not set (template.yaml sets it)")
    return value


def optional_setting(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


RETRY_ATTEMPTS = 5
_RETRYING = Config(retries={"mode": "standard", "max_attempts": RETRY_ATTEMPTS}, connect_timeout=3, read_timeout=5)
_SENDING = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=10)
# Invoking the guard (a release) waits for its whole run (Timeout 30 s) and is never
# repeated by botocore: a timed-out invoke may still be sending.
_INVOKING = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=60)


@cache
def client(service: str) -> Any:
    """A client that retries on its own (standard mode)."""
    return boto3.client(service, config=_RETRYING)


@cache
def send_client(service: str) -> Any:
    """A client for SES / SNS sends: one attempt only (a retry may be a second send)."""
    return boto3.client(service, config=_SENDING)


@cache
def invoke_client() -> Any:
    """A Lambda client that waits for the function's whole run and never retries on its own."""
    return boto3.client("lambda", config=_INVOKING)


@cache
def ssm_parameters() -> Any:
    """Powertools' SSM parameter provider, on ``client("ssm")``.

    ``parameters.get_parameter`` would use Powertools' default provider, which builds a
    boto3 session of its own: botocore then loads its endpoint, partition and retry data
    a second time, a measurable part of the guard's cold start.
    """
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    return SSMProvider(boto3_client=client("ssm"))


@cache
def _dynamodb() -> Any:
    return boto3.resource("dynamodb", config=_RETRYING)


@cache
def table(env_name: str) -> Any:
    """The DynamoDB table named by the environment variable ``env_name``."""
    return _dynamodb().Table(setting(env_name))


def reset() -> None:
    """Forget every client and table (tests start a fresh moto per test)."""
    client.cache_clear()
    send_client.cache_clear()
    invoke_client.cache_clear()
    ssm_parameters.cache_clear()
    _dynamodb.cache_clear()
    table.cache_clear()


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a block (a local run of one function), then restore
    them and drop the cached clients that read them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        reset()
