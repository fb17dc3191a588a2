"""The ``sendguard`` command line.

``check`` judges send requests, ``lint`` lints template files, ``rule`` explains a
rule (from the catalog snapshot), ``schema`` prints the request's JSON Schema and
``completion`` prints a shell completion script. ``invoke`` and ``import-ses`` need
boto3 and are imported only when they run, so ``sendguard check`` never pays for
boto3, and ``sendguard rule`` and ``--help`` never load spaCy.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_STOPPED, EXIT_BAD_INPUT = 0, 1, 2
MAX_INPUT_BYTES = 8 * 1024 * 1024

# (command, module, help): modules that define ``add_arguments(parser)`` and ``run(args) -> int``.
PLUGIN_COMMANDS: list[tuple[str, str, str]] = [
    ("invoke", "functions.local", "run a Lambda handler locally against an event file"),
    ("import-ses", "functions.ses_import", "write the SES account's stored templates to files"),
    ("preflight", "linters.preflight", "judge one template for every recipient of a campaign"),
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
    from .models import load_json  # json.loads, with too-deep nesting a decode error

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
    from .models import Customer

    table = {}
    for index, record in enumerate(_load_json_lines(path, "customers file")):
        try:
            customer = Customer.model_validate(record)
        except Exception as exc:
            from .models import describe_validation_error

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
    from .models import InlineTemplate

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
    from .policy import discover_policy, load_policy_file

    return load_policy_file(path) if path else discover_policy(Path.cwd())


def _parsed(sources: list[Source]) -> list[tuple[Source, Any]]:
    """Each source with its parsed request, or with the RequestError that refused it."""
    from .models import RequestError, parse_request

    parsed: list[tuple[Source, Any]] = []
    for source in sources:
        try:
            if source.error:
                raise RequestError("", source.error)
            parsed.append((source, parse_request(source.raw)))
        except RequestError as exc:
            parsed.append((source, exc))
    return parsed


def _check_inputs(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(policy with the rule selection applied, customer lookup, template lookup)."""
    from .selection import selection_from_args

    selection = selection_from_args(args.select, args.extend_select, args.ignore)
    policy = selection.apply(load_policy(args.config))
    return policy, customer_lookup(args.customers), template_lookup(args.templates)


def _error_line(args: argparse.Namespace, origin: str, exc: Any) -> None:
    from .safe_text import dumps, error_line

    print(error_line(f"{origin}: error: {exc}"), file=sys.stderr)
    if args.format == "json" and not args.statistics:
        print(dumps({"source": origin, "error": str(exc), "field": exc.field}, ensure_ascii=True), flush=True)


def command_check(args: argparse.Namespace) -> int:
    from .engine import analyse_together, check
    from .models import RequestError
    from .options import emit, policy_settings, print_settings, statistics_lines
    from .policy import PolicyError
    from .report import format_text
    from .safe_text import dumps, error_line
    from .selection import SelectionError

    try:
        policy, customers, templates = _check_inputs(args)
    except (PolicyError, SelectionError, ValueError) as exc:
        print(error_line(f"sendguard: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.show_settings:
        print_settings(policy_settings(policy))
        return EXIT_OK
    status = EXIT_OK
    blocks: list[str] = []
    counted: list[tuple[str, str, str]] = []
    parsed = _parsed(list(read_requests(args.files)))
    analyse_together((r for _, r in parsed if not isinstance(r, RequestError)), templates, policy)
    for source, request in parsed:
        try:
            if isinstance(request, RequestError):
                raise request
            result = check(request, policy, templates=templates, customers=customers)
        except RequestError as exc:
            _error_line(args, source.origin, exc)
            status = EXIT_BAD_INPUT
            continue
        counted += [(f.rule, f.name, str(f.action)) for f in result.findings]
        if args.statistics or (args.quiet and not result.findings):
            pass
        elif args.format == "json":
            blocks.append(dumps(result.to_dict()))
        else:
            blocks.append(format_text(result, source.origin))
        if not args.output_file and blocks:
            emit("\n".join(blocks), args, text_format=args.format == "text")  # stream as judged
            blocks.clear()
        if not result.sendable and status == EXIT_OK and not args.exit_zero:
            status = EXIT_STOPPED
    report = statistics_lines(counted) if args.statistics else "\n".join(blocks)
    if args.output_file or args.statistics:
        emit(report, args, text_format=args.format == "text")
    return status


def command_schema(args: argparse.Namespace) -> int:
    from .models import request_schema

    print(json.dumps(request_schema(), indent=2))
    return EXIT_OK


def command_rule(args: argparse.Namespace) -> int:
    """From the catalog snapshot: no spaCy, so it answers at once."""
    from .catalog import catalog, summary

    rules = {entry["id"]: entry for entry in catalog()}
    if args.all or not args.rule_id:
        for entry in rules.values():
            print(f"{entry['id']}  {entry['name']:<22} [{entry['default_action']}]  {summary(entry)}")
        return EXIT_OK
    found = rules.get(args.rule_id.upper())
    if found is None:
        from .safe_text import error_line

        message = f"sendguard: unknown rule {args.rule_id!r}; `sendguard rule --all` lists them"
        print(error_line(message), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{found['id']} {found['name']}  (default action: {found['default_action']})\n")
    print(found["doc"])
    if found["settings"]:
        print("\nSettings ([tool.sendguard.rules." + found["id"] + "]):")
        for key, setting in found["settings"].items():
            print(f"  {key} = {json.dumps(setting['default'])}  # {setting['description']}")
    return EXIT_OK


def command_completion(args: argparse.Namespace) -> int:
    import shtab

    print(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK


def _add_check(sub: Any) -> None:
    from .options import add_common_options

    check = sub.add_parser("check", help="judge send requests: decision, findings, message as sent")
    check.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="send request files (JSON, JSON array or JSON Lines); - for stdin",
    )
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument(
        "--customers",
        metavar="FILE",
        help="customer records (JSON Lines) for requests that give only customer_id",
    )
    check.add_argument(
        "--templates", metavar="DIR", help="stored templates (NAME.json) for requests that give template.name"
    )
    add_common_options(check, policy_alias=True)
    check.set_defaults(func=command_check)


def _add_lint(sub: Any) -> None:
    from .lint import command

    lint = sub.add_parser("lint", help="lint template files (for pull-request pipelines)")
    command.add_arguments(lint)
    lint.set_defaults(func=command.run)


def build_parser() -> argparse.ArgumentParser:
    from . import version

    parser = argparse.ArgumentParser(
        prog="sendguard",
        description="Lint and guard outbound customer messages that fake a relationship.",
    )
    parser.add_argument("--version", action="version", version=f"sendguard {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check(sub)
    _add_lint(sub)

    schema = sub.add_parser("schema", help="print the JSON Schema of a send request")
    schema.set_defaults(func=command_schema)

    explain = sub.add_parser("rule", help="explain a rule, or list them all")
    explain.add_argument("rule_id", nargs="?", metavar="RULE", help="a rule id such as SG201")
    explain.add_argument("--all", action="store_true", help="list every rule")
    explain.set_defaults(func=command_rule)

    completion = sub.add_parser("completion", help="print a shell completion script (bash, zsh, tcsh)")
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    completion.set_defaults(func=command_completion)

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


def _silence_stdout() -> None:
    """After a closed pipe (``| head``): point stdout at /dev/null so the interpreter's
    final flush does not print a second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in {name for name, _, _ in PLUGIN_COMMANDS}:
        module = next(m for n, m, _ in PLUGIN_COMMANDS if n == argv[0])
        return _run_plugin(argv[0], module, argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 nothing stopped, 1 findings stop a message, 2 an error or a crash."""
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except SystemExit:
        raise
    except Exception:
        from .safe_text import plain_lines

        # The trace may quote input (a file name, a key): its lines are escaped like a report's.
        print(plain_lines(traceback.format_exc().rstrip("\n")), file=sys.stderr)
        print(
            "sendguard: error: internal error (a bug: please report it with the trace above)", file=sys.stderr
        )
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
