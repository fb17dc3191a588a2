"""``sendguard review list|show|release|deny`` and ``sendguard review --serve``.

Against a deployed stack: ``--stack NAME`` (the tables are ``NAME-decisions`` and
``NAME-idempotency``, as template.yaml names them), or the environment variables the
functions use (DECISIONS_TABLE, IDEMPOTENCY_TABLE, CUSTOMERS_TABLE, LEDGER_TABLE,
POLICY_PARAMETER). A release is sent by the guard function when ``--guard-function``
(or GUARD_FUNCTION_NAME) names it, else in this process with the caller's credentials.
Against a moto server (the demo's): ``--endpoint-url http://127.0.0.1:PORT``.
``--serve`` with no endpoint starts its own embedded moto with the demo's quarantine.

Batch release and deny take ids or a filter (``--rule``, ``--campaign``, ``--since``),
at most 500 messages, and always a ``--reason``; ``--dry-run`` shows what would happen.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from datetime import UTC, datetime
from typing import Any

from linters import formats
from linters.safe_text import error_line

EXIT_OK, EXIT_SOME_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Review quarantined messages: list, show, release (send anyway) or deny."
    parser.add_argument("--stack", help="stack name: tables NAME-decisions, NAME-idempotency, ...")
    parser.add_argument("--endpoint-url", help="AWS endpoint, e.g. the demo's moto server")
    parser.add_argument("--region", help="AWS region (default: the environment's)")
    parser.add_argument("--guard-function", help="release by invoking this guard function (name or ARN)")
    parser.add_argument("--serve", action="store_true", help="serve the review console on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8047, help="console port (default 8047; 0: any free)")
    sub = parser.add_subparsers(dest="action")
    listing = sub.add_parser("list", help="quarantined messages (pending by default)")
    _filters(listing)
    listing.add_argument("--format", choices=formats.REVIEW_FORMATS, default="text")
    show = sub.add_parser("show", help="one message: rendered parts, findings, audit")
    show.add_argument("id")
    for name, verb in (("release", "send anyway, through the guard"), ("deny", "never send")):
        action = sub.add_parser(name, help=f"{name} messages ({verb})")
        action.add_argument("ids", nargs="*", help="message ids (or use filters)")
        _filters(action)
        action.add_argument("--reason", required=True, help="why (kept in the audit record)")
        action.add_argument("--dry-run", action="store_true", help="show what would happen; change nothing")
        action.add_argument("--limit", type=int, default=500, help="at most this many (max 500)")
        if name == "release":
            action.add_argument(
                "--accept",
                help="comma-separated rule ids the reviewer accepts (default: every rule that acted on it); "
                "SG601 and SG602 can never be accepted",
            )


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rule", help="only messages with a finding of this rule (e.g. SG203)")
    parser.add_argument("--campaign", help="only this campaign")
    parser.add_argument("--since", help="only quarantined at or after this ISO time")
    parser.add_argument(
        "--state", default="pending", help="pending (default), released, denied, expired or all"
    )


def configure(args: argparse.Namespace) -> None:
    """Point functions.aws at the stack's resources (environment variables)."""
    from functions import aws

    if args.guard_function:
        os.environ["GUARD_FUNCTION_NAME"] = args.guard_function
    aws.point_at_stack(args.stack, args.endpoint_url, args.region)


def parse_filters(args: argparse.Namespace) -> Any:
    from functions.review.store import STATES, Filters
    from linters.models import RequestError

    state = None if args.state == "all" else args.state
    if state is not None and state not in STATES:
        raise RequestError("state", f"unknown state {args.state!r} (use {', '.join(STATES)} or all)")
    since = None
    if args.since:
        try:
            since = datetime.fromisoformat(args.since)
        except ValueError:
            raise RequestError("since", f"not an ISO time: {args.since!r}") from None
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return Filters(state=state, rule=args.rule, campaign=args.campaign, since=since)


def do_list(args: argparse.Namespace) -> int:
    from functions.review import store

    now = datetime.now(UTC)
    rows = [store.summary(row, now) for row in store.find(parse_filters(args), now)]
    if args.format == "json":
        print(formats.json.review_list(rows))
        return EXIT_OK
    # Ids, campaigns and rules come from the senders' requests: every field is shown with
    # its control characters escaped, and no line can be a GitHub workflow command.
    print(formats.text.review_list(rows))
    print(f"{len(rows)} message(s)", file=sys.stderr)
    return EXIT_OK


def do_show(args: argparse.Namespace) -> int:
    from functions.review.console import detail

    print(formats.json.review_detail(detail(args.id)))
    return EXIT_OK


def targets(args: argparse.Namespace) -> list[str]:
    """The ids a batch acts on: the given ids, or those the filters pick (pending)."""
    from functions.review import store
    from linters.models import RequestError

    limit = min(max(args.limit, 1), store.MAX_BATCH)
    if args.ids:
        if len(args.ids) > limit:
            raise RequestError("ids", f"{len(args.ids)} ids; a batch is at most {limit}")
        return list(dict.fromkeys(args.ids))
    if not (args.rule or args.campaign or args.since):
        raise RequestError("ids", "name message ids, or pick them with --rule, --campaign or --since")
    filters = parse_filters(args)
    rows = store.find(filters, datetime.now(UTC))
    if len(rows) > limit:
        raise RequestError("ids", f"the filters pick {len(rows)} messages; a batch is at most {limit}")
    return [row["id"] for row in rows]


def do_decide(args: argparse.Namespace) -> int:
    from functions.review import release, store
    from linters.models import RequestError

    store.check_reason(args.reason)
    who = store.who_am_i()
    accept = None
    if args.action == "release" and args.accept is not None:
        accept = release.check_accepted(set(args.accept.split(",")))
    failed = 0
    ids = targets(args)
    for key in ids:
        try:
            if args.action == "release":
                outcome = release.release(key, args.reason, who, accept=accept, dry_run=args.dry_run)
            else:
                outcome = release.deny(key, args.reason, who, dry_run=args.dry_run)
        except (store.AlreadyDecided, store.NotFound, release.ReleaseRefused, RequestError) as exc:
            failed += 1
            print(error_line(f"{key}: not {args.action}d: {exc}"), file=sys.stderr)
            continue
        print(error_line(f"{key}: {outcome.state} ({outcome.detail}) by {who}"))
    print(
        f"{len(ids) - failed} of {len(ids)} {args.action}d{' (dry run)' if args.dry_run else ''}",
        file=sys.stderr,
    )
    return EXIT_SOME_FAILED if failed else EXIT_OK


def missing_settings() -> str | None:
    """What ``list``, ``show``, ``release`` and ``deny`` need to reach a stack, said in one
    line before any AWS call (botocore's own words, "You must specify a region.", name
    neither the flag nor the alternative)."""
    import boto3

    from functions import aws

    local = "; `sendguard review --serve` runs the console on an embedded moto with sample messages"
    if not boto3.session.Session().region_name:
        return f"no AWS region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION{local}"
    if not aws.optional_setting(aws.DECISIONS_TABLE):
        return f"which stack? pass --stack NAME (or set DECISIONS_TABLE and IDEMPOTENCY_TABLE){local}"
    return None


def serve(args: argparse.Namespace) -> int:
    """``--serve``: the review console on 127.0.0.1, against the stack ``args`` name (or
    an embedded moto with the demo's quarantine), until Ctrl-C."""
    from functions.review import sample, store
    from functions.review.console import console_server

    with sample.stack_for(args) as note:
        configure(args)
        who = store.who_am_i()
        try:
            server = console_server(who, args.port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            problem = f"port {args.port} on 127.0.0.1 is in use: pass --port 0 for any free port, or another"
            print(error_line(f"sendguard review: {problem}"), file=sys.stderr)
            return EXIT_BAD_INPUT
        url = f"http://127.0.0.1:{server.server_port}/review"
        print(f"{note}\nreview console: {url} (as {who}); Ctrl-C stops it", file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from functions.aws import MissingSetting
    from functions.review import store
    from linters.models import RequestError

    if not args.serve and not args.action:
        print("sendguard review: name an action (list, show, release, deny) or --serve", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if args.serve:
            return serve(args)
        configure(args)
        missing = missing_settings()
        if missing:
            print(error_line(f"sendguard review: {missing}"), file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.action == "list":
            return do_list(args)
        if args.action == "show":
            return do_show(args)
        return do_decide(args)
    except RequestError as exc:
        print(error_line(f"sendguard review: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except store.NotFound as exc:
        print(error_line(f"sendguard review: {exc}"), file=sys.stderr)
        return EXIT_SOME_FAILED
    except (MissingSetting, BotoCoreError, ClientError) as exc:
        message = f"sendguard review: {exc} (use --stack, --endpoint-url or the table variables)"
        print(error_line(message), file=sys.stderr)
        return EXIT_BAD_INPUT
