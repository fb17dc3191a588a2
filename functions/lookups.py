"""What the functions read before they judge: the policy, stored templates, stored facts.

One home for the lookups the guard (and a reviewer's release, which judges in the
guard's role), the lint API and the campaign Lambdas share:

- **the policy**: the SSM parameter POLICY_PARAMETER (the ``[tool.sendguard]`` table as
  JSON), read with Powertools' SSMProvider on the shared SSM client
  (``aws.ssm_parameters()``), cached POLICY_MAX_AGE seconds, and compiled once per
  document. No parameter set: the default policy. A parameter that cannot be read is
  PolicyUnavailable, one that is not a usable policy PolicyError: the operator's to fix,
  never the caller's (the lint API answers 503; the guard fails the record, which SQS
  delivers again).
- **stored SES templates** by name (``functions.ses_templates``): ``stored_template``
  caches the found ones TEMPLATE_MAX_AGE seconds (the guard, a release);
  ``read_template`` reads the account every time (the lint API: a preview of the
  template as it is now).
- **stored facts**: the customer record and the contact ledger merged into a request
  (``functions.facts``).

``reset()`` forgets the caches (tests start a fresh moto; ``functions.guard.app.reset``
calls it).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions import aws
from linters.models import InlineTemplate, SendRequest
from linters.policy import Policy, PolicyError, check_depth, policy_from_mapping

POLICY_MAX_AGE = 300  # seconds an SSM policy document is cached in the container
TEMPLATE_MAX_AGE = 300  # seconds a stored SES template is cached in the container

_policies: dict[str, Policy] = {}
_templates: dict[str, tuple[float, InlineTemplate]] = {}


class PolicyUnavailable(Exception):
    """The policy parameter cannot be read: the deployment's fault or SSM's, never the
    caller's. ``retry_after`` (seconds) when trying again soon may help; ``parameter``
    and ``cause`` (the AWS error as text) are for the log."""

    def __init__(
        self, problem: str, retry_after: int | None = None, parameter: str = "", cause: str = ""
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after
        self.parameter = parameter
        self.cause = cause


def reset() -> None:
    """Forget the compiled policies and the cached templates."""
    _policies.clear()
    _templates.clear()


# --- the policy ----------------------------------------------------------------------


def policy_document() -> tuple[dict[str, Any], str] | None:
    """The policy document from the SSM parameter POLICY_PARAMETER (JSON) and its source
    name, cached POLICY_MAX_AGE seconds; None when no parameter is set.

    PolicyUnavailable when it cannot be read, PolicyError when it is not a JSON object
    (or nests too deeply)."""
    from aws_lambda_powertools.utilities.parameters.exceptions import (
        GetParameterError,
        TransformParameterError,
    )

    name = aws.optional_setting(aws.POLICY_PARAMETER)
    if not name:
        return None
    source = f"ssm:{name}"
    try:
        document = aws.ssm_parameters().get(name, max_age=POLICY_MAX_AGE, transform="json")
    except TransformParameterError as exc:
        # json.loads ran out of stack (RecursionError) or met text that is not JSON.
        deep = isinstance(exc.__cause__, RecursionError)
        raise PolicyError(f"{source}: {'nested too deeply' if deep else 'not valid JSON'}") from None
    except (GetParameterError, BotoCoreError, ClientError) as exc:
        # Powertools raises GetParameterError inside its except: the AWS error is the context.
        code, retry_after = aws.problem(exc.__context__ if isinstance(exc, GetParameterError) else exc)
        if code == "ParameterNotFound":
            problem = "the service's policy parameter does not exist (the stack is misconfigured)"
        elif retry_after is None:
            problem = f"the service cannot read its policy parameter ({code})"
        else:
            problem = f"the service's policy could not be read just now ({code}); try again shortly"
        raise PolicyUnavailable(problem, retry_after, parameter=name, cause=str(exc)) from exc
    if not isinstance(document, dict):
        raise PolicyError(f"{source}: the policy must be a JSON object")
    return document, source


def current_policy() -> Policy:
    """The policy (``Policy()`` when no parameter is set), compiled once per document;
    the ``lint`` table is left to ``lint_config``."""
    found = policy_document()
    if found is None:
        return Policy()
    document, source = found
    check_depth(document, source)  # before anything recursive (json.dumps) reads it
    key = json.dumps(document, sort_keys=True)
    if key not in _policies:
        _policies.clear()
        _policies[key] = policy_from_mapping(document, source)
    return _policies[key]


def lint_config() -> Any:
    """The ``lint`` table of the same document, as ``sendguard lint`` reads it."""
    from linters.lint.config import LintConfig, config_from_mapping

    found = policy_document()
    return config_from_mapping(*found) if found else LintConfig()


# --- stored templates ----------------------------------------------------------------


def read_template(name: str) -> InlineTemplate | None:
    """A stored SES template by name, read now (None: no such template). The client is
    built on first use: most requests carry their template inline."""
    from functions.ses_templates import get_template

    return get_template(aws.client("ses"), name)


def stored_template(name: str) -> InlineTemplate | None:
    """A stored SES template by name; found ones are cached for TEMPLATE_MAX_AGE."""
    cached = _templates.get(name)
    if cached and time.monotonic() - cached[0] < TEMPLATE_MAX_AGE:
        return cached[1]
    found = read_template(name)
    if found is not None:
        _templates[name] = (time.monotonic(), found)
    return found


# --- stored facts --------------------------------------------------------------------


def _table_if_set(name: str) -> Any:
    return aws.table(name) if aws.optional_setting(name) else None


def with_customer_and_ledger(
    request: SendRequest, moment: datetime, *, only_tables_set: bool = False
) -> SendRequest:
    """The request with the stored customer record and the contact ledger merged in
    (``linters.precedence``): what the request carries adds facts, never hides one.

    The guard reads both tables (an unset table variable is MissingSetting: it fails
    closed); with ``only_tables_set`` (the lint API's ``/check/stored``) a table whose
    variable is not set is not read."""
    from functions.facts import read_stored_facts

    table = _table_if_set if only_tables_set else aws.table
    customers = table(aws.CUSTOMERS_TABLE)
    return read_stored_facts(request, moment, customers, table(aws.LEDGER_TABLE))
