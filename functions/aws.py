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
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, overload

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, DataNotFoundError
from botocore.loaders import Loader

from functions import botocore_data

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


# Seconds a caller is asked to wait after AWS throttled or failed (an HTTP API's
# Retry-After); botocore has already retried by then.
RETRY_AFTER = 5
_TRANSIENT_CODES = {"Throttling", "ThrottlingException", "TooManyUpdates", "InternalServerError"}


def problem(exc: BaseException | None) -> tuple[str, int | None]:
    """(the AWS error code or botocore's exception name, seconds after which trying
    again may help or None): throttling, 5xx and connection failures pass, a missing
    parameter or a denied read waits for the operator."""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", "")) or "ClientError"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        transient = code in _TRANSIENT_CODES or status == 429 or status >= 500
        return code, RETRY_AFTER if transient else None
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__, RETRY_AFTER
    return "error", RETRY_AFTER


RETRY_ATTEMPTS = 5
_RETRYING = Config(retries={"mode": "standard", "max_attempts": RETRY_ATTEMPTS}, connect_timeout=3, read_timeout=5)
_SENDING = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=10)
# Invoking the guard (a release) waits for its whole run (Timeout 30 s) and is never
# repeated by botocore: a timed-out invoke may still be sending.
_INVOKING = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=60)


class ServiceNames(Sequence[str]):
    """The services botocore has data of type ``type_name`` for, as botocore lists them,
    except that ``name in services`` looks in that one service's folder; the full list
    is made only when something iterates (botocore's message for an unknown service)."""

    def __init__(self, loader: Loader, type_name: str) -> None:
        self._loader, self._type_name = loader, type_name

    def __contains__(self, name: object) -> bool:
        # botocore's list holds the names of folders directly in its search paths.
        if not isinstance(name, str) or name in ("", ".", "..") or os.sep in name:
            return False
        if os.altsep and os.altsep in name:
            return False
        try:
            return bool(self._loader.list_api_versions(name, self._type_name))
        except (DataNotFoundError, OSError):  # OSError: a file, not a folder, of that name
            return False

    def _listed(self) -> list[str]:
        return Loader.list_available_services(self._loader, self._type_name)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._listed()[index]

    def __len__(self) -> int:
        return len(self._listed())

    def __iter__(self) -> Iterator[str]:
        return iter(self._listed())

    def __repr__(self) -> str:
        return repr(self._listed())


class FolderTestLoader(Loader):
    """botocore's data loader, except that loading a model checks the service by its folder.

    Before it loads a model, ``Loader.load_service_model`` asks ``list_available_services``
    whether the service is known, and botocore answers by listing all its service
    folders (about 400, once per kind of data: service model, endpoint rules, boto3's
    resource model): about a third of the guard's first client, at every cold start.
    While a model loads, this loader answers with ``ServiceNames``; anyone else who asks
    (``get_available_services``) gets botocore's own list.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loading = threading.local()

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        self._loading.active = True
        try:
            return super().load_service_model(service_name, type_name, api_version)
        finally:
            self._loading.active = False

    def list_available_services(self, type_name: str) -> Sequence[str]:
        if getattr(self._loading, "active", False):
            return ServiceNames(self, type_name)
        return super().list_available_services(type_name)


def _data_loader(core: botocore.session.Session) -> Loader:
    """As ``botocore.loaders.create_loader``: extra search paths from AWS_DATA_PATH, then
    the lean botocore data (``functions.botocore_data``), then botocore's own."""
    search = core.get_config_variable("data_path") or ""
    paths = [os.path.expanduser(os.path.expandvars(path)) for path in search.split(os.pathsep) if path]
    lean = botocore_data.folder()
    if lean is not None:
        paths.append(str(lean))
    return FolderTestLoader(extra_search_paths=paths)


@cache
def session() -> boto3.Session:
    """The one boto3 session every client of the process comes from, with a
    ``FolderTestLoader`` (registered before boto3 adds its own data folder to it).

    ``reset()`` forgets it with the clients, as moto's ``mock_aws`` forgets boto3's
    default session: a session built before moto is imported lacks moto's hook (its
    calls would go to AWS), and one keeps the credentials it first resolved.
    """
    core = botocore.session.get_session()
    core.register_component("data_loader", _data_loader(core))
    return boto3.Session(botocore_session=core)


def _known(service: str) -> str:
    """``service``, if the lean botocore data has its endpoints (functions.botocore_data)."""
    if service not in botocore_data.SERVICES:
        raise ValueError(f"no client for {service!r}: add it to functions.botocore_data.SERVICES first")
    return service


@cache
def client(service: str) -> Any:
    """A client that retries on its own (standard mode)."""
    return session().client(_known(service), config=_RETRYING)


@cache
def send_client(service: str) -> Any:
    """A client for SES / SNS sends: one attempt only (a retry may be a second send)."""
    return session().client(_known(service), config=_SENDING)


@cache
def invoke_client() -> Any:
    """A Lambda client that waits for the function's whole run and never retries on its own."""
    return session().client("lambda", config=_INVOKING)


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
    return session().resource("dynamodb", config=_RETRYING)


@cache
def table(env_name: str) -> Any:
    """The DynamoDB table named by the environment variable ``env_name``."""
    return _dynamodb().Table(setting(env_name))


def reset() -> None:
    """Forget the session, every client and table (tests start a fresh moto per test)."""
    session.cache_clear()
    client.cache_clear()
    send_client.cache_clear()
    invoke_client.cache_clear()
    ssm_parameters.cache_clear()
    _dynamodb.cache_clear()
    table.cache_clear()


# The settings that name a stack's resources, and the names template.yaml gives them.
STACK_RESOURCES = {
    "DECISIONS_TABLE": "{stack}-decisions",
    "IDEMPOTENCY_TABLE": "{stack}-idempotency",
    "CUSTOMERS_TABLE": "{stack}-customers",
    "LEDGER_TABLE": "{stack}-ledger",
    "POLICY_PARAMETER": "/{stack}/policy",
}


def point_at_stack(
    stack: str | None,
    endpoint_url: str | None = None,
    region: str | None = None,
    resources: Sequence[str] = tuple(STACK_RESOURCES),
) -> None:
    """Point this process's clients at a stack (a CLI command's in-process call): the
    endpoint and region given, and each of ``resources`` named from the stack unless its
    setting is already set. The cached clients are dropped, so the next call reads them."""
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    if region:
        os.environ["AWS_DEFAULT_REGION"] = region
    if stack:
        for name in resources:
            os.environ.setdefault(name, STACK_RESOURCES[name].format(stack=stack))
    reset()


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
