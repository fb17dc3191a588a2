"""``sendguard contacts ask`` and ``sendguard contacts record``.

The body is a JSON file (``--json FILE``, ``-`` for standard input) and/or flags, the
flags winning. Where it goes:

- ``--api-url URL`` (or SENDGUARD_API_URL): the stack's HTTP API, signed with the
  caller's AWS credentials through ``sendguard_client`` (the caller needs
  ``execute-api:Invoke`` on the route: the ContactAskers / ContactRecorders policies);
- otherwise in this process against the stack's tables with the caller's own
  credentials, as ``sendguard review`` does: ``--stack NAME`` (tables NAME-ledger and
  NAME-customers, the parameter /NAME/policy) or the functions' environment variables,
  and ``--endpoint-url`` for a moto server.

Exit status: ask 0 allow, 1 hold or block; record 0 recorded (or recorded before with
the same body), 1 an id recorded before with another body; 2 bad input or a service
that cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linters.models import Channel, Purpose, RequestError, load_json
from linters.safe_text import error_line, visible

EXIT_OK, EXIT_STOPPED, EXIT_BAD_INPUT = 0, 1, 2
API_URL_VARIABLE = "SENDGUARD_API_URL"  # as sendguard_client reads it


class Misconfigured(Exception):
    """An in-process call that cannot reach the stack: no region, no table named."""


class Unreachable(Exception):
    """The HTTP API did not answer (503, throttled, unreachable) after the client's retries."""


def clock() -> datetime:
    """Now (tests replace it)."""
    return datetime.now(UTC)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Ask before, record after: contacts the guard does not send (a rep's call, a postcard, "
        "another platform's message)."
    )
    sub = parser.add_subparsers(dest="action")
    ask = sub.add_parser("ask", help="may I contact this person now? allow, hold until, or block")
    record = sub.add_parser("record", help="record a contact made outside the guard in the contact ledger")
    for command in (ask, record):
        _common(command)
    ask.add_argument("--person", action="store_true", help="a person makes this contact (automated: false)")
    ask.add_argument("--trigger", help="what prompted it (login, site_visit, ...)")
    ask.add_argument("--at", help="when the contact would be made (ISO time; default now)")
    ask.add_argument("--script", help="a file with the call script or postcard text, judged like any message")
    record.add_argument("--id", help="your id for this contact (a CRM task or call id): the idempotency key")
    record.add_argument("--at", help="when it was made (ISO time; default now)")
    record.add_argument("--by", help="who made it (a rep, a mail house, another platform)")


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--json", dest="body_file", help="the body as a JSON file ('-': standard input)")
    command.add_argument("--channel", choices=[str(c) for c in Channel])
    command.add_argument("--purpose", choices=[str(p) for p in Purpose])
    command.add_argument("--customer-id", help="the customer's id")
    command.add_argument("--to", help="the address: phone number, email, postal address line, app user id")
    command.add_argument("--campaign", help="the campaign name")
    command.add_argument("--format", choices=("text", "json"), default="text")
    command.add_argument("--api-url", help=f"the stack's HTTP API (default: ${API_URL_VARIABLE}); signed with SigV4")
    command.add_argument("--stack", help="stack name, for a call in this process: tables NAME-ledger, NAME-customers")
    command.add_argument("--endpoint-url", help="AWS endpoint, e.g. a moto server")
    command.add_argument("--region", help="AWS region (default: the environment's)")


# --- the body ---------------------------------------------------------------------------


def read_body(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestError("json", f"cannot read {path}: {exc}") from None
    try:
        body = load_json(text)
    except json.JSONDecodeError as exc:
        raise RequestError("json", f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(body, dict):
        raise RequestError("json", f"{path}: a JSON object, not {type(body).__name__}")
    return body


def body_of(args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    """The JSON file's body with the flags given on top."""
    body = read_body(args.body_file)
    flags = {
        "channel": args.channel,
        "purpose": args.purpose,
        "customer_id": args.customer_id,
        "to": args.to,
        "campaign": args.campaign,
        "at": args.at,
    }
    if args.action == "ask":
        flags["trigger"] = args.trigger
        if args.person:
            flags["automated"] = False
        if args.script:
            flags["template"] = {"text": _script(args.script)}
    else:
        flags.update(id=args.id, by=args.by)
        if args.at is None and "at" not in body:
            flags["at"] = now.isoformat()  # recorded as made just now
    body.update({name: value for name, value in flags.items() if value is not None})
    return body


def _script(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RequestError("script", f"cannot read {path}: {exc}") from None


# --- where it goes ------------------------------------------------------------------------


def configure(args: argparse.Namespace) -> None:
    """Point functions.aws at the stack's resources (an in-process call)."""
    from functions import aws, lookups

    aws.point_at_stack(
        args.stack, args.endpoint_url, args.region, ("CUSTOMERS_TABLE", "LEDGER_TABLE", "POLICY_PARAMETER")
    )
    lookups.reset()


def missing_settings(args: argparse.Namespace) -> str | None:
    """What an in-process call needs to reach the stack, said before any AWS call."""
    import boto3

    if not boto3.Session().region_name:
        return "no AWS region: pass --region or set AWS_DEFAULT_REGION"
    needed = ("CUSTOMERS_TABLE", "LEDGER_TABLE") if args.action == "ask" else ("LEDGER_TABLE",)
    unset = [name for name in needed if not os.environ.get(name)]
    if unset:
        return (
            f"{' and '.join(unset)} not set: name the stack with --stack NAME, "
            f"or call its HTTP API with --api-url URL (or ${API_URL_VARIABLE})"
        )
    return None


def through_api(args: argparse.Namespace, body: dict[str, Any], url: str) -> tuple[dict[str, Any], int]:
    """The answer from the HTTP API (sendguard_client signs the call)."""
    import sendguard_client

    try:
        if args.action == "ask":
            return sendguard_client.ask(body, api_url=url), EXIT_OK
        return sendguard_client.record(body, api_url=url), EXIT_OK
    except sendguard_client.ContactConflict as exc:
        return {"error": str(exc), "field": exc.field}, EXIT_STOPPED
    except sendguard_client.ContactError as exc:
        raise RequestError(exc.field, str(exc).removeprefix(f"{exc.field}: ")) from None
    except sendguard_client.ApiUnavailable as exc:
        raise Unreachable(str(exc)) from None


def in_process(args: argparse.Namespace, body: dict[str, Any], now: datetime) -> tuple[dict[str, Any], int]:
    from functions.contacts import service
    from functions.ledger import RecordConflict

    configure(args)
    missing = missing_settings(args)
    if missing:
        raise Misconfigured(missing)
    if args.action == "ask":
        return service.ask(body, now), EXIT_OK
    try:
        return service.record(body, now)[0], EXIT_OK
    except RecordConflict:
        problem = "id: this id was recorded before with another body; use a new id for another contact"
        return {"error": problem, "field": "id"}, EXIT_STOPPED


# --- the report ---------------------------------------------------------------------------


def report(args: argparse.Namespace, answer: dict[str, Any]) -> str:
    if args.format == "json":
        from linters.safe_text import dumps

        return dumps(answer)
    if "error" in answer:
        return error_line(f"not recorded: {answer['error']}")
    if args.action == "record":
        seen = "already recorded with the same body" if answer.get("duplicate") else "recorded"
        return f"{visible(answer['id'])}: {seen}"
    lines = [f"{answer['decision'].upper()}" + _until(answer)]
    for finding in answer["findings"]:
        lines.append(f"  {finding['rule']} {finding['name']} [{finding['action']}] {visible(finding['message'])}")
    for change in answer.get("changes", []):
        lines.append(f"  rewrite: {visible(change['original'])} -> {visible(change['replacement'])}")
    return "\n".join(lines)


def _until(answer: dict[str, Any]) -> str:
    when = answer.get("next_allowed_at")
    if answer["decision"] == "hold" and when:
        return f" until {datetime.fromisoformat(when).astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return ""


def exit_status(args: argparse.Namespace, answer: dict[str, Any], status: int) -> int:
    if args.action == "ask" and answer.get("decision") != "allow":
        return EXIT_STOPPED
    return status


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from functions.aws import MissingSetting
    from functions.lookups import PolicyUnavailable
    from linters.policy import PolicyError

    if not args.action:
        print("sendguard contacts: name an action (ask, record)", file=sys.stderr)
        return EXIT_BAD_INPUT
    now = clock()
    try:
        body = body_of(args, now)
        url = args.api_url or os.environ.get(API_URL_VARIABLE)
        answer, status = through_api(args, body, url) if url else in_process(args, body, now)
    except RequestError as exc:
        print(error_line(f"sendguard contacts {args.action}: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (MissingSetting, BotoCoreError, ClientError, PolicyUnavailable, PolicyError) as exc:
        where = "use --api-url, --stack, --endpoint-url or the table variables"
        print(error_line(f"sendguard contacts {args.action}: {exc} ({where})"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (Misconfigured, Unreachable) as exc:
        print(error_line(f"sendguard contacts {args.action}: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(report(args, answer), file=sys.stdout if "error" not in answer or args.format == "json" else sys.stderr)
    return exit_status(args, answer, status)
