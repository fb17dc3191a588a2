"""The ``sendguard`` command line of the engine.

``check`` judges send requests, ``lint`` lints template files, ``rule`` explains a
rule (from the catalog snapshot), ``schema`` prints the request's JSON Schema,
``completion`` prints a shell completion script and ``preflight`` judges a campaign.
``sendguard rule`` and ``--help`` never load spaCy.

The engine knows no AWS. The commands that need it (``invoke``, ``import-ses``,
``review``) and the SES account behind ``lint --from-ses`` are handed in by the caller:
``main(argv, commands=..., template_provider=...)``. The console script
(``sendguard._entry``) runs ``functions.cli_commands.main``, which passes them; each
command's module is imported only when it runs, so ``sendguard check`` never pays for
boto3.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Request files are read by linters/documents.py; the names stay importable from here.
from .documents import MAX_INPUT_BYTES as MAX_INPUT_BYTES
from .documents import Source, read_requests, read_text

if TYPE_CHECKING:
    from .lint.inputs import TemplateProvider

EXIT_OK, EXIT_STOPPED, EXIT_BAD_INPUT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Command:
    """A subcommand kept in a module of its own. ``load()`` returns that module (it has
    ``add_arguments(parser)`` and ``run(args) -> int``) and is called only when the
    command runs, so what the module imports costs the other commands nothing."""

    name: str
    help: str
    load: Callable[[], Any]


def _load_preflight() -> Any:
    from . import preflight

    return preflight


# The engine's own commands with a module of their own; the caller may add more (main()).
ENGINE_COMMANDS: tuple[Command, ...] = (
    Command("preflight", "judge one template for every recipient of a campaign", _load_preflight),
)


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
    from .policy import load_policy

    policy = selection.apply(load_policy(args.config))
    return policy, customer_lookup(args.customers), template_lookup(args.templates)


def _error_line(args: argparse.Namespace, origin: str, exc: Any) -> None:
    from .formats import json as json_format
    from .safe_text import error_line

    print(error_line(f"{origin}: error: {exc}"), file=sys.stderr)
    if args.format == "json" and not args.statistics:
        print(json_format.check_error(origin, exc), flush=True)


def command_check(args: argparse.Namespace) -> int:
    from .engine import analyse_together, check
    from .formats import json as json_format
    from .formats import junit, text
    from .models import RequestError
    from .options import emit, policy_settings, print_settings, statistics_lines
    from .policy import PolicyError
    from .safe_text import error_line
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
    decisions: Counter[str] = Counter()  # for the text report's last line
    judged: list[tuple[str, Any]] = []  # --format junit: one document, written at the end
    parsed = _parsed(list(read_requests(args.files)))
    analyse_together((r for _, r in parsed if not isinstance(r, RequestError)), templates, policy)
    for source, request in parsed:
        try:
            if isinstance(request, RequestError):
                raise request
            result = check(request, policy, templates=templates, customers=customers)
        except RequestError as exc:
            _error_line(args, source.origin, exc)
            judged.append((source.origin, exc))
            decisions["error"] += 1
            status = EXIT_BAD_INPUT
            continue
        decisions[str(result.decision)] += 1
        counted += [(f.rule, f.name, str(f.action)) for f in result.findings]
        if args.format == "junit":
            judged.append((source.origin, result))
        elif args.statistics or (args.quiet and not result.findings):
            pass
        elif args.format == "json":
            blocks.append(json_format.check_result(result))
        else:
            blocks.append(text.check_result(result, source.origin))
        if not args.output_file and blocks:
            emit("\n".join(blocks), args, text_format=args.format == "text")  # stream as judged
            blocks.clear()
        if not result.sendable and status == EXIT_OK and not args.exit_zero:
            status = EXIT_STOPPED
    if args.statistics:
        report = statistics_lines(counted)
    elif args.format == "junit":
        report = junit.check_report(judged)
    else:
        if args.format == "text" and not args.quiet:  # a total last, as lint's
            blocks.append(text.check_summary(decisions))
        report = "\n".join(blocks)
    if args.output_file or args.statistics or args.format == "junit" or report:
        emit(report, args, text_format=args.format == "text")
    return status


def command_schema(args: argparse.Namespace) -> int:
    from .models import request_schema

    print(json.dumps(request_schema(), indent=2))
    return EXIT_OK


def command_rule(args: argparse.Namespace) -> int:
    """From the catalog snapshot: no spaCy, so it answers at once."""
    from .catalog import catalog, reads_line, summary, template_half_line

    rules = {entry["id"]: entry for entry in catalog()}
    if args.all or not args.rule_id:
        # One line a rule, in columns as wide as the catalog's widest id, name and action.
        id_width = max((len(entry["id"]) for entry in rules.values()), default=0)
        name_width = max((len(entry["name"]) for entry in rules.values()), default=0)
        action_width = max((len(entry["default_action"]) + 2 for entry in rules.values()), default=0)
        for entry in rules.values():
            action = f"[{entry['default_action']}]"
            print(
                f"{entry['id']:<{id_width}}  {entry['name']:<{name_width}}  {action:<{action_width}}  {summary(entry)}"
            )
        return EXIT_OK
    found = rules.get(args.rule_id.upper())
    if found is None:
        from .safe_text import error_line

        message = f"sendguard: unknown rule {args.rule_id!r}; `sendguard rule --all` lists them"
        print(error_line(message), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{found['id']} {found['name']}  (default action: {found['default_action']})")
    print(f"Reads: {reads_line(found)}")
    if half := template_half_line(found):
        print(f"Once per template: {half}")
    print()
    print(found["doc"])
    if found["settings"]:
        print("\nSettings ([tool.sendguard.rules." + found["id"] + "]):")
        for key, setting in found["settings"].items():
            print(f"  {key} = {json.dumps(setting['default'])}  # {setting['description']}")
    from .rule_examples import example_lines

    for line in example_lines(found["id"]):
        print(line)
    return EXIT_OK


def command_completion(args: argparse.Namespace) -> int:
    import shtab

    print(shtab.complete(args.completion_parser, shell=args.shell))
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
    from .formats import CHECK_FORMATS

    check.add_argument(
        "--format",
        choices=CHECK_FORMATS,
        default="text",
        help="text, json (one object per request) or junit (one test case per request) (default: text)",
    )
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


def _add_lint(sub: Any, template_provider: TemplateProvider | None) -> None:
    from .lint import command

    lint = sub.add_parser("lint", help="lint template files (for pull-request pipelines)")
    command.add_arguments(lint)
    lint.set_defaults(func=command.run, template_provider=template_provider)


def build_parser(
    commands: Sequence[Command] = (), template_provider: TemplateProvider | None = None
) -> argparse.ArgumentParser:
    """The parser of every command: the engine's, then ``commands`` (see ``main``)."""
    from . import version

    parser = argparse.ArgumentParser(
        prog="sendguard",
        description="Lint and guard outbound customer messages that fake a relationship.",
    )
    parser.add_argument("--version", action="version", version=f"sendguard {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check(sub)
    _add_lint(sub, template_provider)

    schema = sub.add_parser("schema", help="print the JSON Schema of a send request")
    schema.set_defaults(func=command_schema)

    explain = sub.add_parser("rule", help="explain a rule, or list them all")
    explain.add_argument("rule_id", nargs="?", metavar="RULE", help="a rule id such as SG201")
    explain.add_argument("--all", action="store_true", help="list every rule")
    explain.set_defaults(func=command_rule)

    completion = sub.add_parser("completion", help="print a shell completion script (bash, zsh, tcsh)")
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    completion.set_defaults(func=command_completion, completion_parser=parser)

    for command in (*ENGINE_COMMANDS, *commands):
        # Listed in --help; _dispatch hands their arguments to the command's own parser.
        plugin = sub.add_parser(command.name, help=command.help)
        plugin.add_argument("plugin_args", nargs=argparse.REMAINDER)
    return parser


def _run_plugin(command: Command, argv: list[str]) -> int:
    try:
        module = command.load()
    except ModuleNotFoundError as exc:
        print(
            f"sendguard: the {command.name} command is not available in this build ({exc.name} is missing)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    parser = argparse.ArgumentParser(prog=f"sendguard {command.name}")
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


def _silence_stdout() -> None:
    """After a closed pipe (``| head``): point stdout at /dev/null so the interpreter's
    final flush does not print a second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _dispatch(
    argv: list[str], commands: Sequence[Command], template_provider: TemplateProvider | None
) -> int:
    plugins = {command.name: command for command in (*ENGINE_COMMANDS, *commands)}
    if argv and argv[0] in plugins:
        return _run_plugin(plugins[argv[0]], argv[1:])
    args = build_parser(commands, template_provider).parse_args(argv)
    return args.func(args)


def main(
    argv: Sequence[str] | None = None,
    *,
    commands: Sequence[Command] = (),
    template_provider: TemplateProvider | None = None,
) -> int:
    """Run one command. Exit codes: 0 nothing stopped, 1 findings stop a message, 2 an
    error or a crash.

    ``commands`` adds subcommands the engine does not have (the console script adds
    ``invoke``, ``import-ses`` and ``review``: functions/cli_commands.py);
    ``template_provider`` is the store ``lint --from-ses`` reads (the SES account).
    Without them this is the engine alone: ``check``, ``lint``, ``preflight``, ``rule``,
    ``schema``, ``completion``.
    """
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv), commands, template_provider)
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
