"""The ``sendguard`` command line.

``check`` judges send requests, ``rule`` explains a rule, ``schema`` prints the
request's JSON Schema. Other commands (``lint``, ``invoke``, ``import-ses``) live in
their own modules and are registered below, imported only when they run, so that
``sendguard check`` never pays for boto3 and ``sendguard rule`` never loads spaCy.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_STOPPED, EXIT_BAD_INPUT = 0, 1, 2
MAX_INPUT_BYTES = 8 * 1024 * 1024

# (command, module, help): modules that define ``add_arguments(parser)`` and ``run(args) -> int``.
PLUGIN_COMMANDS: list[tuple[str, str, str]] = [
    ("lint", "linters.lint.command", "lint template files (for pull-request pipelines)"),
    ("invoke", "functions.local", "run a Lambda handler locally against an event file"),
    ("import-ses", "functions.ses_import", "write the SES account's stored templates to files"),
    ("review", "functions.review.command", "list, show, release or deny quarantined messages; --serve the console"),
]


@dataclass(slots=True)
class Source:
    """One send request read from input, or the error that stopped it."""

    origin: str
    raw: Any = None
    error: str | None = None


def read_text(path: str, stdin: TextIO | None = None) -> str:
    """File contents as text, or ValueError with a reason a person can act on."""
    if path == "-":
        stream = stdin or sys.stdin
        data = stream.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except FileNotFoundError:
            raise ValueError("no such file") from None
        except IsADirectoryError:
            raise ValueError("is a directory, not a request file") from None
        except OSError as exc:
            raise ValueError(f"cannot read ({exc.strerror})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise ValueError(f"larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB; not a send request")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start})") from None


def read_requests(paths: Sequence[str]) -> Iterator[Source]:
    """Requests from each file: one JSON object, a JSON array, or JSON Lines."""
    for path in paths:
        name = "<stdin>" if path == "-" else path
        try:
            text = read_text(path)
        except ValueError as exc:
            yield Source(name, error=str(exc))
            continue
        yield from _split_documents(name, text)


def _split_documents(name: str, text: str) -> Iterator[Source]:
    from linters.models import load_json  # json.loads, with too-deep nesting a decode error

    stripped = text.strip()
    if not stripped:
        yield Source(name, error="empty file: expected a JSON send request")
        return
    try:
        document = load_json(stripped)
    except json.JSONDecodeError as whole_error:
        lines = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            yield Source(
                name,
                error=f"not valid JSON: {whole_error.msg} at line {whole_error.lineno} column {whole_error.colno}",
            )
            return
        for number, line in lines:
            try:
                yield Source(f"{name}:{number}", load_json(line))
            except json.JSONDecodeError as exc:
                yield Source(f"{name}:{number}", error=f"not valid JSON: {exc.msg} at column {exc.colno}")
        return
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield Source(f"{name}[{index}]", item)
    else:
        yield Source(name, document)


def _load_json_lines(path: str, what: str) -> list[dict[str, Any]]:
    records = []
    for source in read_requests([path]):
        if source.error:
            raise ValueError(f"{what} {source.origin}: {source.error}")
        records.append(source.raw)
    return records


def customer_lookup(path: str | None) -> Callable[[str], Any] | None:
    """Customers by id from a JSON Lines (or JSON array) file of customer records."""
    if not path:
        return None
    from linters.models import Customer

    table = {}
    for index, record in enumerate(_load_json_lines(path, "customers file")):
        try:
            customer = Customer.model_validate(record)
        except Exception as exc:
            from linters.models import describe_validation_error

            raise ValueError(
                f"customers file {path} record {index + 1}: {describe_validation_error(exc)}"
            ) from None
        if customer.customer_id:
            table[customer.customer_id] = customer
    return table.get


def template_lookup(folder: str | None) -> Callable[[str], Any] | None:
    """Stored templates by name: ``NAME.json`` in ``folder``, in SES's format or ours."""
    if not folder:
        return None
    from linters.models import InlineTemplate

    def find(name: str) -> InlineTemplate | None:
        path = Path(folder) / f"{name}.json"
        if not path.is_file() or "/" in name or name.startswith("."):
            return None
        document = json.loads(read_text(str(path)))
        body = document.get("Template", document.get("TemplateContent", document))
        return InlineTemplate(
            subject=body.get("SubjectPart", body.get("Subject", body.get("subject"))),
            text=body.get("TextPart", body.get("Text", body.get("text"))),
            html=body.get("HtmlPart", body.get("Html", body.get("html"))),
        )

    return find


def load_policy(path: str | None) -> Any:
    from linters.policy import discover_policy, load_policy_file

    return load_policy_file(path) if path else discover_policy(Path.cwd())


def _parsed(sources: list[Source]) -> list[tuple[Source, Any]]:
    """Each source with its parsed request, or with the RequestError that refused it."""
    from linters.models import RequestError, parse_request

    parsed: list[tuple[Source, Any]] = []
    for source in sources:
        try:
            if source.error:
                raise RequestError("", source.error)
            parsed.append((source, parse_request(source.raw)))
        except RequestError as exc:
            parsed.append((source, exc))
    return parsed


def command_check(args: argparse.Namespace) -> int:
    from linters.engine import analyse_together, check
    from linters.models import RequestError
    from linters.policy import PolicyError
    from linters.report import format_text

    try:
        policy = load_policy(args.policy)
        customers = customer_lookup(args.customers)
        templates = template_lookup(args.templates)
    except (PolicyError, ValueError) as exc:
        print(f"sendguard: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    status = EXIT_OK
    parsed = _parsed(list(read_requests(args.files)))
    analyse_together((r for _, r in parsed if not isinstance(r, RequestError)), templates)
    for source, request in parsed:
        try:
            if isinstance(request, RequestError):
                raise request
            result = check(request, policy, templates=templates, customers=customers)
        except RequestError as exc:
            print(f"{source.origin}: error: {exc}", file=sys.stderr)
            if args.format == "json":
                print(
                    json.dumps({"source": source.origin, "error": str(exc), "field": exc.field}), flush=True
                )
            status = EXIT_BAD_INPUT
            continue
        if args.format == "json":
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        else:
            print(format_text(result, source.origin), flush=True)
        if not result.sendable and status == EXIT_OK:
            status = EXIT_STOPPED
    return status


def command_schema(args: argparse.Namespace) -> int:
    from linters.models import request_schema

    print(json.dumps(request_schema(), indent=2))
    return EXIT_OK


def command_rule(args: argparse.Namespace) -> int:
    from pydantic_core import to_jsonable_python

    from linters.registry import all_rules

    rules = {r.id: r for r in all_rules()}
    if args.all or not args.rule_id:
        for r in rules.values():
            print(f"{r.id}  {r.name:<22} [{r.default_action}]  {r.summary}")
        return EXIT_OK
    found = rules.get(args.rule_id.upper())
    if found is None:
        print(f"sendguard: unknown rule {args.rule_id!r}; `sendguard rule --all` lists them", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{found.id} {found.name}  (default action: {found.default_action})\n")
    print(found.doc)
    settings = found.settings.model_fields
    if settings:
        print("\nSettings ([tool.sendguard.rules." + found.id + "]):")
        for key, field in settings.items():
            default = field.default_factory() if field.default_factory else field.default
            print(f"  {key} = {json.dumps(to_jsonable_python(default))}  # {field.description or ''}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendguard",
        description="Lint and guard outbound customer messages that fake a relationship.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="judge send requests: decision, findings, message as sent")
    check.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="send request files (JSON, JSON array or JSON Lines); - for stdin",
    )
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument(
        "--policy",
        metavar="FILE",
        help="policy file (default: [tool.sendguard] in pyproject.toml or sendguard.toml)",
    )
    check.add_argument(
        "--customers",
        metavar="FILE",
        help="customer records (JSON Lines) for requests that give only customer_id",
    )
    check.add_argument(
        "--templates", metavar="DIR", help="stored templates (NAME.json) for requests that give template.name"
    )
    check.set_defaults(func=command_check)

    schema = sub.add_parser("schema", help="print the JSON Schema of a send request")
    schema.set_defaults(func=command_schema)

    explain = sub.add_parser("rule", help="explain a rule, or list them all")
    explain.add_argument("rule_id", nargs="?", metavar="RULE", help="a rule id such as SG201")
    explain.add_argument("--all", action="store_true", help="list every rule")
    explain.set_defaults(func=command_rule)

    for name, module, help_text in PLUGIN_COMMANDS:
        plugin = sub.add_parser(name, help=help_text)
        plugin.set_defaults(plugin_module=module)
        plugin.add_argument("plugin_args", nargs=argparse.REMAINDER)
    return parser


def _run_plugin(name: str, module_name: str, argv: list[str]) -> int:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(f"sendguard: the {name} command is not available in this build", file=sys.stderr)
            return EXIT_BAD_INPUT
        raise
    parser = argparse.ArgumentParser(prog=f"sendguard {name}")
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in {name for name, _, _ in PLUGIN_COMMANDS}:
        module = next(m for n, m, _ in PLUGIN_COMMANDS if n == argv[0])
        return _run_plugin(argv[0], module, argv[1:])
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
