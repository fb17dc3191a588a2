"""sendguard's Python API: judge a message, lint template files, preflight a campaign and
read the rule catalog in your own process, with the command line's decisions and JSON.

    import sendguard

    result = sendguard.check({"id": "n-1", "channel": "email", ...})
    result.decision      # Decision.ALLOW / REWRITE / HOLD / BLOCK
    result.findings      # [Finding(rule="SG101", action=..., message=..., excerpt=...)]
    result.message       # the parts as they would be sent (rewritten, if so decided)
    result.to_dict()     # what `sendguard check --format json` prints

``sendguard`` loads this module on first use. It imports its siblings only, relatively
(so it works as ``sendguard._engine.linters.api`` without a ``sys.path`` entry), never
``functions``, and nothing that loads spaCy: the engine, the policy and the rules are
imported by the first ``check``, ``lint`` or ``preflight``.

Errors are ``ValueError`` subclasses: ``RequestError`` (a request that cannot be judged;
``field`` names what is wrong), ``PolicyError`` (a policy or config that cannot be used),
``SelectionError`` (a ``select``/``ignore`` naming no rule) and ``InputError`` (a template
or customers file that cannot be read).
"""

from __future__ import annotations

import argparse
import copy
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .catalog import catalog as _catalog_snapshot
from .catalog import summary as _summary_line
from .findings import Action, Change, Decision, Finding, Result
from .lint.findings import ACTION_STRENGTH, CustomerSummary, LintFinding
from .models import Customer, InlineTemplate, RequestError, SendRequest, load_json, parse_request
from .selection import SelectionError

if TYPE_CHECKING:
    from .campaign import CampaignTemplate, Verdict
    from .lint.config import LintConfig
    from .lint.inputs import InputError
    from .policy import Policy, PolicyError
    from .preflight_report import Summary as PreflightSummary
    from .recipients import Item

__all__ = [
    "Action",
    "Change",
    "CheckResult",
    "CustomerSummary",
    "Decision",
    "Finding",
    "InputError",
    "LintFinding",
    "LintResult",
    "Policy",
    "PolicyError",
    "PreflightResult",
    "PreflightSummary",
    "RequestError",
    "RuleInfo",
    "SelectionError",
    "SendRequest",
    "Verdict",
    "catalog",
    "check",
    "lint",
    "load_policy",
    "preflight",
    "rule",
    "rules",
]

# The verdict on one send request: ``linters.findings.Result`` (decision, findings,
# message, changes, retry_at, ``sendable``, ``to_dict()``).
CheckResult = Result

# Exported names whose modules load spaCy (the policy reads the rule registry): imported
# when first asked for, so ``import sendguard`` and ``sendguard.RequestError`` stay cheap.
_LAZY = {
    "Policy": ("policy", "Policy"),
    "PolicyError": ("policy", "PolicyError"),
    "InputError": ("lint.inputs", "InputError"),
    "Verdict": ("campaign", "Verdict"),
    "PreflightSummary": ("preflight_report", "Summary"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        module, attribute = _LAZY[name]
        value = getattr(import_module(f"{__package__}.{module}"), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


RequestLike = SendRequest | Mapping[str, Any] | str | bytes
Selectors = str | Iterable[str] | None


# --- shared conversions -----------------------------------------------------------------


def _moment(value: datetime | str | None, what: str = "now") -> datetime | None:
    """A timezone-aware time from a datetime or ISO 8601 text; a naive one is UTC (as ``--now``)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{what}: not an ISO 8601 time: {value!r}") from None
    if not isinstance(value, datetime):
        raise TypeError(f"{what}: expected a datetime or ISO 8601 text, not {type(value).__name__}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _selector_list(value: Selectors) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _selection(select: Selectors, extend_select: Selectors, ignore: Selectors) -> Any:
    """``--select``/``--extend-select``/``--ignore`` as the command line reads them."""
    from .selection import selection_from_args

    return selection_from_args(_selector_list(select), _selector_list(extend_select), _selector_list(ignore))


def _sendguard_table(document: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[tool.sendguard]`` table: the mapping itself, or its ``tool.sendguard`` when
    given a whole ``pyproject.toml`` document (as a policy file is read)."""
    document = dict(document)
    if "tool" in document:
        tool = document["tool"]
        document = dict(tool.get("sendguard", {})) if isinstance(tool, Mapping) else {}
    return document


def load_policy(
    policy: Policy | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    select: Selectors = None,
    extend_select: Selectors = None,
    ignore: Selectors = None,
) -> Policy:
    """A ``Policy`` from what ``check`` and ``preflight`` accept as ``policy``.

    None is the built-in defaults (no file is looked for: pass a path for that); a mapping
    is the ``[tool.sendguard]`` table (``{"rules": {"SG302": "block"}}``); a path is a
    ``sendguard.toml``, ``pyproject.toml`` or JSON policy file. ``select``, ``extend_select``
    and ``ignore`` are rule ids or prefixes, as the command line's flags. Raises
    PolicyError or SelectionError naming the key.
    """
    from .policy import Policy, PolicyError, load_policy_file, policy_from_mapping

    if policy is None:
        found = Policy()
    elif isinstance(policy, Policy):
        found = policy
    elif isinstance(policy, Mapping):
        found = policy_from_mapping(_sendguard_table(policy), "policy")
    elif isinstance(policy, str | os.PathLike):
        found = load_policy_file(policy)
    else:
        raise PolicyError(
            f"policy: expected a Policy, a mapping, a file path or None, not {type(policy).__name__}"
        )
    return _selection(select, extend_select, ignore).apply(found)


# --- check ------------------------------------------------------------------------------


def _request(request: Any) -> SendRequest:
    if isinstance(request, SendRequest):
        return request
    if isinstance(request, bytearray | memoryview):
        request = bytes(request)
    if isinstance(request, Mapping) and not isinstance(request, dict):
        request = dict(request)
    return parse_request(request)  # RequestError names the field; a list or a number is refused


def _stored_template(name: str, document: Any) -> InlineTemplate | None:
    """A stored template in SES's format (``aws ses get-template``, ``sesv2``) or ours."""
    if document is None or isinstance(document, InlineTemplate):
        return document
    where = "template.name"
    if isinstance(document, str | bytes):
        try:
            document = load_json(document if isinstance(document, str) else document.decode("utf-8"))
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            raise RequestError(where, f"stored template {name!r} is not valid JSON: {exc}") from None
    if not isinstance(document, Mapping):
        raise RequestError(where, f"stored template {name!r} is not a template: {type(document).__name__}")
    body = document.get("Template", document.get("TemplateContent", document))
    if not isinstance(body, Mapping):
        raise RequestError(where, f"stored template {name!r} is not a template")
    parts = {
        "subject": body.get("SubjectPart", body.get("Subject", body.get("subject"))),
        "text": body.get("TextPart", body.get("Text", body.get("text"))),
        "html": body.get("HtmlPart", body.get("Html", body.get("html"))),
    }
    from pydantic import ValidationError

    from .models import describe_validation_error

    try:
        return InlineTemplate.model_validate(parts)
    except ValidationError as exc:
        problem = describe_validation_error(exc)
        raise RequestError(where, f"stored template {name!r}: {problem}") from None


def _template_lookup(templates: Any) -> Callable[[str], InlineTemplate | None] | None:
    """Stored templates by name: a mapping, a function, or a folder of ``NAME.json`` files
    (the folder of ``sendguard check --templates``)."""
    if templates is None:
        return None
    if isinstance(templates, Mapping):
        return lambda name: _stored_template(name, templates.get(name))
    if isinstance(templates, str | os.PathLike):
        folder = Path(templates)

        def from_folder(name: str) -> InlineTemplate | None:
            path = folder / f"{name}.json"
            if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
                return None
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise RequestError(
                    "template.name", f"stored template {name!r}: cannot read {path}: {exc}"
                ) from None
            return _stored_template(name, text)

        return from_folder
    if callable(templates):
        return lambda name: _stored_template(name, templates(name))
    raise TypeError(f"templates: expected a mapping, a function or a folder, not {type(templates).__name__}")


def _customer(customer_id: str, record: Any) -> Customer | None:
    if record is None or isinstance(record, Customer):
        return record
    from pydantic import ValidationError

    from .models import describe_validation_error

    try:
        return Customer.model_validate(record)
    except ValidationError as exc:
        problem = describe_validation_error(exc)
        raise RequestError("customer_id", f"customer record for {customer_id!r}: {problem}") from None


def _customer_lookup(customers: Any) -> Callable[[str], Customer | None] | None:
    """Customers by id, for requests that give only ``customer_id``: a mapping of id to
    record, a function, a JSON Lines file (``sendguard check --customers``) or records."""
    if customers is None:
        return None
    if isinstance(customers, Mapping):
        return lambda customer_id: _customer(customer_id, customers.get(customer_id))
    if callable(customers):
        return lambda customer_id: _customer(customer_id, customers(customer_id))
    records = _customer_records(customers, "customers")
    table = {c.customer_id: c for c in records if c.customer_id}
    return table.get


def _customer_records(customers: Any, what: str) -> list[Customer]:
    """Customer records from a JSON Lines file (as ``--customers`` reads it) or an iterable."""
    from .lint.customers import load_customers
    from .lint.inputs import InputError

    if isinstance(customers, str | os.PathLike):
        return load_customers(os.fspath(customers))
    found = []
    for index, record in enumerate(customers, 1):
        try:
            found.append(record if isinstance(record, Customer) else Customer.model_validate(record))
        except Exception as exc:  # pydantic's ValidationError, or a record that is not an object
            from .models import describe_validation_error

            detail = describe_validation_error(exc) if hasattr(exc, "errors") else exc
            raise InputError(f"{what} record {index}: {detail}") from None
    return found


def check(
    request: RequestLike,
    policy: Policy | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    templates: Any = None,
    customers: Any = None,
    now: datetime | str | None = None,
    select: Selectors = None,
    extend_select: Selectors = None,
    ignore: Selectors = None,
) -> CheckResult:
    """Judge one send request, as ``sendguard check`` does.

    ``request`` is a dict, JSON text (or bytes) or a ``SendRequest``. ``policy``: see
    ``load_policy`` (None: the built-in defaults). ``templates`` resolves
    ``template.name`` (a mapping of name to template, a function, or a folder of
    ``NAME.json``, SES's format or ours); ``customers`` resolves ``customer_id`` (a
    mapping of id to record, a function, a JSON Lines file or an iterable of records).
    ``now`` is the time to judge at when the request gives none (default: now).

    Raises RequestError when the request cannot be judged (``.field`` names what is
    wrong), PolicyError or SelectionError for a bad policy.
    """
    from .engine import check as judge

    parsed = _request(request)
    chosen = load_policy(policy, select=select, extend_select=extend_select, ignore=ignore)
    return judge(
        parsed,
        chosen,
        templates=_template_lookup(templates),
        customers=_customer_lookup(customers),
        now=_moment(now),
    )


# --- lint -------------------------------------------------------------------------------


@dataclass(slots=True)
class LintResult:
    """What ``sendguard lint`` reports: findings located in the files, and with sample
    customers one summary per rule and template."""

    findings: list[LintFinding]
    customers: list[CustomerSummary] = field(default_factory=list)
    templates: int = 0  # how many templates were linted

    def fails(self, fail_on: Action | str = Action.BLOCK) -> bool:
        """Whether ``sendguard lint --fail-on FAIL_ON`` would exit 1 (before ``--exit-zero``)."""
        level = ACTION_STRENGTH[Action(fail_on)]
        actions = [f.action for f in self.findings] + [s.action for s in self.customers]
        return any(ACTION_STRENGTH[action] >= level for action in actions)

    @property
    def passed(self) -> bool:
        """No finding blocks (the command line's default ``--fail-on block``)."""
        return not self.fails(Action.BLOCK)

    def to_dict(self) -> dict[str, Any]:
        """What ``sendguard lint --format json`` prints."""
        return {
            "findings": [f.to_dict() for f in self.findings],
            "customers": [s.to_dict() for s in self.customers],
        }


def _config_finder(config: Any, selection: Any) -> Any:
    """``lint.command.SelectedConfigs``, whose override may also be a mapping."""
    from .lint.command import SelectedConfigs
    from .lint.config import ConfigFinder, config_from_mapping

    class Fixed(ConfigFinder):
        def __init__(self, override: str | None = None) -> None:
            super().__init__(override)
            self.fixed: LintConfig | None = None

        def for_path(self, path: str | Path | None) -> LintConfig:
            return self.fixed if self.fixed is not None else super().for_path(path)

    class Configs(SelectedConfigs, Fixed):
        pass

    if config is None or isinstance(config, str | os.PathLike):
        return Configs(os.fspath(config) if config is not None else None, selection)
    if not isinstance(config, Mapping):
        from .policy import PolicyError

        raise PolicyError(f"config: expected a mapping, a file path or None, not {type(config).__name__}")
    configs = Configs(None, selection)
    configs.fixed = config_from_mapping(_sendguard_table(config), "config")
    return configs


def _lint_arguments(paths: list[str], exclude: Iterable[str], templates_only: bool) -> argparse.Namespace:
    """The namespace ``sendguard lint PATH ...`` would parse (every other option at its default)."""
    from .lint import command

    parser = argparse.ArgumentParser(add_help=False)
    command.add_arguments(parser)
    args = parser.parse_args([])
    args.paths = paths
    args.exclude = [str(pattern) for pattern in exclude]
    args.templates_only = templates_only
    return args


def lint(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = ".",
    *,
    config: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    select: Selectors = None,
    extend_select: Selectors = None,
    ignore: Selectors = None,
    exclude: Iterable[str] = (),
    templates_only: bool = False,
    customers: str | os.PathLike[str] | Iterable[Any] | None = None,
    now: datetime | str | None = None,
) -> LintResult:
    """Lint template files and folders, as ``sendguard lint PATH ...`` does.

    Each template's configuration is the nearest ``sendguard.toml`` or ``pyproject.toml``
    with ``[tool.sendguard]`` (as the command line finds it), unless ``config`` names a
    file or is that table as a mapping. A file that cannot be read is a finding (SG902).
    With ``customers`` (a JSON Lines file or an iterable of customer records) each template
    is also checked for every customer, at ``now`` (default: now).

    Raises PolicyError (a bad config), SelectionError, or InputError (bad customers).
    """
    from .lint import command
    from .lint.customers import summarize
    from .lint.linter import lint_template

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    given = [os.fspath(p) for p in paths]
    if "-" in given:
        raise ValueError("lint reads files and folders; '-' (stdin) is the command line's")
    args = _lint_arguments(given, exclude, templates_only)
    configs = _config_finder(config, _selection(select, extend_select, ignore))
    samples = _customer_records(customers, "customers") if customers is not None else []
    moment = _moment(now) or datetime.now(UTC)
    findings: list[LintFinding] = []
    summaries: list[CustomerSummary] = []
    linted = 0
    # As lint.command.lint_all, with the customers and the time given here.
    for item in command._templates(args, configs):
        if isinstance(item, LintFinding):
            findings.append(item)
            continue
        linted += 1
        chosen = configs.for_path(item.config_start)
        findings.extend(lint_template(item, chosen))
        if samples and not any(f.rule == "SG900" for f in findings if f.path.startswith(item.path)):
            summaries.extend(summarize(item, samples, chosen, moment))
    enabled = configs.selection.enabled
    return LintResult(
        [f for f in findings if enabled(f.rule)], [s for s in summaries if enabled(s.rule)], linted
    )


# --- preflight --------------------------------------------------------------------------


@dataclass(slots=True)
class PreflightResult:
    """What the guard would do to each recipient of a campaign, and the summary."""

    verdicts: list[Verdict]
    summary: PreflightSummary

    @property
    def decisions(self) -> dict[str, int]:
        """Recipients per decision (``allow``, ``rewrite``, ``hold``, ``block``, ``error``)."""
        return {name: count for name, count in self.summary.decisions.items() if count}

    @property
    def stopped(self) -> list[Verdict]:
        """The recipients who would be blocked or held."""
        return [v for v in self.verdicts if v.decision in ("block", "hold")]

    @property
    def errors(self) -> list[Verdict]:
        """The records that could not be judged (``.field`` and ``.error`` say why)."""
        return [v for v in self.verdicts if v.error is not None]

    @property
    def sendable(self) -> bool:
        """Every recipient judged, and none blocked or held (``sendguard preflight`` exits 0)."""
        return not self.summary.stopped_count and not self.summary.decisions["error"]

    def json_lines(self) -> list[dict[str, Any]]:
        """The lines ``sendguard preflight --format json`` prints: one per recipient, then the summary."""
        return [*(v.to_dict() for v in self.verdicts), {"summary": self.summary.to_dict()}]

    def to_dict(self) -> dict[str, Any]:
        """``json_lines()`` as one document: ``{"verdicts": [...], "summary": {...}}``."""
        return {"verdicts": [v.to_dict() for v in self.verdicts], "summary": self.summary.to_dict()}


def _names_a_file(text: str) -> bool:
    if "\n" in text:
        return False
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # too long for a file name, or a NUL in it
        return False


def _campaign_template(template: str | os.PathLike[str]) -> tuple[CampaignTemplate, str]:
    """(the template, its name in the summary) from a file or the text of one."""
    from .campaign import CampaignTemplate
    from .handlebars import TemplateSyntaxError
    from .lint.inputs import InputError, template_from_text
    from .preflight import load_template
    from .render import compile_template

    if not isinstance(template, str | os.PathLike):
        raise TypeError(f"template: expected a file path or template text, not {type(template).__name__}")
    if isinstance(template, os.PathLike) or _names_a_file(template):
        name = os.fspath(template)
        return load_template(name), name  # ValueError names what is wrong
    name = "<template>"
    try:
        source = template_from_text(Path("template.hbs"), template)
    except InputError as exc:
        raise ValueError(str(exc).replace("template.hbs", name, 1)) from None
    found = CampaignTemplate.from_source(source)
    for part, text in found.parts.items():
        try:
            compile_template(text, part == "html")
        except TemplateSyntaxError as exc:
            raise ValueError(f"{name}: {part} part: {exc}") from None
    return found, name


def _recipient_items(recipients: Any, kind: str | None) -> tuple[Iterator[Item], str, Any]:
    """(items, the name in the summary, what to close) from a file or an iterable of records."""
    from contextlib import nullcontext

    from .recipients import FORMATS, Item, guess_format, open_binary, read_items

    if kind is not None and kind not in FORMATS:
        raise ValueError(f"recipients_format: {kind!r} is not one of {', '.join(FORMATS)}")
    if isinstance(recipients, str | os.PathLike):
        path = os.fspath(recipients)
        stream = open_binary(path)  # ValueError names the file
        origin = "<stdin>" if path == "-" else path
        head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
        return read_items(stream, kind or guess_format(origin, head)), origin, stream
    if isinstance(recipients, Mapping):
        raise TypeError("recipients: expected an iterable of records (wrap one record in a list)")
    if isinstance(recipients, bytes):
        raise TypeError("recipients: expected a file path or an iterable of records, not bytes")
    items = (Item(line, record) for line, record in enumerate(recipients, 1))
    return items, "<records>", nullcontext()


def preflight(
    template: str | os.PathLike[str],
    recipients: str | os.PathLike[str] | Iterable[Mapping[str, Any]],
    *,
    policy: Policy | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    now: datetime | str | None = None,
    jobs: int = 1,
    select: Selectors = None,
    extend_select: Selectors = None,
    ignore: Selectors = None,
    recipients_format: str | None = None,
) -> PreflightResult:
    """Judge one template for every recipient of a campaign, as ``sendguard preflight`` does.

    ``template`` is a template file as ``sendguard lint`` reads it (front matter, then the
    body; an SES JSON template), or the text of one (a string with a newline, or one that
    names no file). ``recipients`` is an iterable of recipient records
    (``{"id", "to", "customer", "data", ...}``) or a JSON Lines or CSV file.
    ``policy``: see ``load_policy``; ``now``: the time to judge at (default: now); ``jobs``:
    processes to judge on. A record that cannot be judged is a verdict with ``error`` and
    ``field``, not an exception; a bad template raises ValueError.
    """
    from .preflight import verdicts
    from .preflight_report import Summary

    if jobs < 1:
        raise ValueError("jobs must be 1 or more")
    campaign_template, name = _campaign_template(template)
    chosen = load_policy(policy, select=select, extend_select=extend_select, ignore=ignore)
    moment = _moment(now) or datetime.now(UTC)
    items, origin, closing = _recipient_items(recipients, recipients_format)
    summary = Summary(template=name, recipients=origin, now=moment.isoformat())
    kept: list[Verdict] = []
    with closing:
        for batch in verdicts(items, campaign_template, chosen, moment, jobs):
            for verdict in batch:
                summary.add(verdict)
                kept.append(verdict)
    return PreflightResult(kept, summary)


# --- the rule catalog -------------------------------------------------------------------


_ENTRY_KEYS = ("id", "name", "default_action", "stage", "lints", "doc", "settings")


@dataclass(slots=True)
class RuleInfo:
    """One rule of the catalog: what ``sendguard rule ID`` prints."""

    id: str
    name: str
    default_action: Action
    doc: str
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # key: {"default", "description"}
    stage: str | None = None  # where the rule reports, when the catalog says
    lints: bool | None = None  # whether `sendguard lint` runs it on template text, when the catalog says
    extra: dict[str, Any] = field(default_factory=dict)  # any other key of the catalog entry

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> RuleInfo:
        return cls(
            entry["id"],
            entry["name"],
            Action(entry["default_action"]),
            entry.get("doc", ""),
            copy.deepcopy(entry.get("settings") or {}),
            entry.get("stage"),
            entry.get("lints"),
            {k: copy.deepcopy(v) for k, v in entry.items() if k not in _ENTRY_KEYS},
        )

    @property
    def summary(self) -> str:
        """The doc's first line: what the rule catches."""
        return _summary_line({"doc": self.doc})

    def to_dict(self) -> dict[str, Any]:
        """The rule's entry in ``linters/data/catalog.json``."""
        data: dict[str, Any] = {"id": self.id, "name": self.name, "default_action": str(self.default_action)}
        if self.stage is not None:
            data["stage"] = self.stage
        if self.lints is not None:
            data["lints"] = self.lints
        data |= {"doc": self.doc, "settings": copy.deepcopy(self.settings), **copy.deepcopy(self.extra)}
        return data


def catalog() -> list[dict[str, Any]]:
    """The rule catalog as data (a copy of the snapshot; no spaCy is loaded)."""
    return copy.deepcopy(_catalog_snapshot())


def rules() -> list[RuleInfo]:
    """Every rule, engine and lint-only, in id order (no spaCy is loaded)."""
    return [RuleInfo.from_entry(entry) for entry in _catalog_snapshot()]


def rule(rule_id: str) -> RuleInfo:
    """One rule by id (``"SG201"``, any case); KeyError for an unknown id."""
    wanted = rule_id.strip().upper()
    for found in rules():
        if found.id == wanted:
            return found
    raise KeyError(f"unknown rule {rule_id!r}; sendguard.rules() lists them")
