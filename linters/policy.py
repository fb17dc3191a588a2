"""Policy: per-rule actions and thresholds.

Read from ``[tool.sendguard]`` in ``pyproject.toml``, from ``sendguard.toml``, from a
file named with ``--policy``, or (in the cloud) from an SSM parameter holding the
same document as JSON. The shape::

    [tool.sendguard.rules]
    SG302 = "block"              # an action alone

    [tool.sendguard.rules.SG201] # or an action and the rule's thresholds
    action = "rewrite"
    top_tiers = ["gold", "platinum"]

    [tool.sendguard.vocabulary]  # a company's own words, added to word classes
    status_words = ["Diamond Circle", "Founders Club"]

    [tool.sendguard.claims]      # the claim reader's score a sentence needs, per class
    thresholds = {status = 0.8, urgency = 0.9}   # (linters/claim_reader.py; every rule that reads it)

    [tool.sendguard]             # rule selection, as ruff's (linters/selection.py)
    select = ["ALL"]
    ignore = ["SG302"]
    extend-select = ["SG201"]
    per-file-ignores = {"legacy/*" = ["SG3"]}   # read by `sendguard lint` (linters/lint/config.py)

    [tool.sendguard.voice]       # how the guard speaks `voice` requests (functions/guard/voice.py)
    voice_id = "JOANNA"          # an Amazon Polly voice

    [tool.sendguard.unsubscribe] # one-click unsubscribe in marketing email (functions/unsubscribe_link)
    method = "link"              # or "ses": SES subscription management, with contact_list (and topic)
    mailto = "unsubscribe@northwind.example"   # optional, beside the link in List-Unsubscribe

    [tool.sendguard.replies]     # answers to inbound texts (functions/feedback/inbound_sms.py)
    help_text = "Northwind: help at northwind.example/help. Reply STOP to opt out."
    stop_text = "Northwind: you will get no more marketing texts."   # optional confirmation

    [tool.sendguard.sender]      # who sends: SG702-SG704 look for it and add it (``SenderIdentity``)
    name = "Northwind Outfitters"
    postal_address = "Northwind Outfitters, 120 Harbour Street, Portland, OR 97201, USA"
    unsubscribe_url = "https://northwind.example/preferences"   # optional; else the one-click link

Calling hours (SG609) are a legal floor (``FLOORS``): settings can make them stricter,
nothing in a policy can make them weaker.

An unknown rule id, action, threshold or word class is an error that names it, and so
is a document nested deeper than ``MAX_DEPTH`` (checked before anything recursive reads
it: the TOML parser, json, pydantic). The word classes are those of ``linters/data/*.json`` (see ``linters.vocabulary``); the
matchers for a policy's extension are built once per distinct extension.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .claim_reader import check_thresholds
from .findings import Action
from .models import load_json
from .registry import RULES, Rule
from .selection import (
    CONFIG_KEYS,
    NEVER_IGNORED,
    Selection,
    SelectionError,
    per_file_ignores_from_config,
    selection_from_config,
    suggest,
)
from .vocabulary import Extension, VocabularyError, extension_from


class PolicyError(ValueError):
    """A policy document that cannot be used; the message names the key."""


# The deepest a real document goes is tool.sendguard.rules.SG201.top_tiers[0] (five
# levels); every level past this is refused before a recursive reader meets it.
MAX_DEPTH = 16


def _too_deep(where: str, path: str) -> PolicyError:
    at = f"{path}: " if path else ""
    return PolicyError(f"{where}: {at}nested more than {MAX_DEPTH} levels deep (a policy is a few levels)")


def check_depth(document: Any, source: str) -> None:
    """Refuse tables and lists nested deeper than ``MAX_DEPTH``, naming the key where
    it happens. Iterative, so it cannot itself run out of stack."""
    stack: list[tuple[Any, int, str]] = [(document, 0, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()]
        elif isinstance(value, list | tuple):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(value)]
        else:
            continue
        if depth >= MAX_DEPTH and children:
            raise _too_deep(source, _shown_key(path))
        stack.extend((child, depth + 1, child_path) for child, child_path in children)


_INDEX_RUN = re.compile(r"((?:\[\d+\]){2})(?:\[\d+\])+")


def _shown_key(path: str, limit: int = 80) -> str:
    """A key path for a message: the part a person recognises, not 500 ``[0]``s."""
    path = _INDEX_RUN.sub(r"\1[...]", path)
    if len(path) <= limit:
        return path
    return path[:limit].rsplit(".", 1)[0] + "..."


_SIGNIFICANT = re.compile(r"[\n#\"'\[\]{}]")
# Where a string that starts here ends: a backslash escapes in basic strings only; a
# one-line string also ends (unterminated, for tomllib to report) at the line's end.
_STRING_END = {
    '"""': re.compile(r'\\.|"""', re.DOTALL),
    "'''": re.compile("'''"),
    '"': re.compile(r'\\.|["\n]'),
    "'": re.compile("['\n]"),
}


def _string_end(text: str, start: int, quote: str) -> int:
    """The index just past the string whose opening ``quote`` is at ``start``."""
    for found in _STRING_END[quote].finditer(text, start + len(quote)):
        if not found.group().startswith("\\"):
            return found.end()
    return len(text)


def _toml_depth_problem(text: str) -> tuple[int, str] | None:
    """(line, key) where ``text`` nests arrays or inline tables deeper than ``MAX_DEPTH``,
    or None. A scan of brackets outside strings and comments, because tomllib itself
    recurses once per level and ends in RecursionError long before it reports anything.
    Dotted keys and table headers nest without recursion; ``check_depth`` sees those."""
    depth, line, line_start = 0, 1, 0
    header = key = ""
    i = 0
    while (found := _SIGNIFICANT.search(text, i)) is not None:
        i = found.start()
        char = found.group()
        if char == "\n":
            line += 1
            line_start = i + 1
        elif char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            end = _string_end(text, i, quote)
            newlines = text.count("\n", i, end)
            if newlines:
                line += newlines
                line_start = text.rindex("\n", i, end) + 1
            i = end
            continue
        elif char in "[{":
            if depth == 0:
                before = text[line_start:i]
                if "=" in before:
                    key = before.split("=", 1)[0].strip()
                elif char == "[" and not before.strip():
                    end = text.find("\n", i)
                    header = text[i : len(text) if end < 0 else end].split("#", 1)[0].strip("[] \t\r")
                    key = ""
            depth += 1
            if depth > MAX_DEPTH:
                return line, ".".join(part for part in (header, key) if part)
        else:  # ] or }
            depth = max(0, depth - 1)
        i += 1
    return None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """``tomllib.loads``, refusing too-deep nesting (PolicyError) before it can recurse."""
    problem = _toml_depth_problem(text)
    if problem is not None:
        line, key = problem
        raise PolicyError(
            f"{source}: line {line}: {key + ': ' if key else ''}nested more than {MAX_DEPTH} levels deep "
            "(a policy is a few levels)"
        )
    try:
        return tomllib.loads(text)
    except RecursionError:  # the scan should have caught it; never a crash
        raise PolicyError(f"{source}: nested too deeply to read") from None


class VoiceDelivery(BaseModel):
    """``[tool.sendguard.voice]``: how the guard speaks a ``voice`` request (SendVoiceMessage)."""

    model_config = ConfigDict(extra="forbid")
    voice_id: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2,20}$",
        description="the Amazon Polly voice, e.g. 'JOANNA'; absent: the service's default voice",
    )


_MAILBOX = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$"
_SES_NAME = r"^[A-Za-z0-9_-]{1,64}$"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class OneClickUnsubscribe(BaseModel):
    """``[tool.sendguard.unsubscribe]``: how a marketing email the guard sends offers
    one-click unsubscribe (RFC 8058; functions/unsubscribe_link/headers.py)."""

    model_config = ConfigDict(extra="forbid")
    method: Literal["link", "ses"] = Field(
        "link",
        description="'link': List-Unsubscribe and List-Unsubscribe-Post headers to the stack's "
        "unsubscribe route; 'ses': SES subscription management (ListManagementOptions)",
    )
    mailto: str | None = Field(None, pattern=_MAILBOX, description="a mailbox added to List-Unsubscribe")
    contact_list: str | None = Field(
        None, pattern=_SES_NAME, description="method 'ses': the SES contact list"
    )
    topic: str | None = Field(None, pattern=_SES_NAME, description="method 'ses': the list's topic, if any")

    @model_validator(mode="after")
    def ses_needs_a_list(self) -> OneClickUnsubscribe:
        if self.method == "ses" and not self.contact_list:
            raise ValueError("method 'ses' needs contact_list, the SES contact list to manage")
        return self


class ReplyTexts(BaseModel):
    """What the guard texts back to a keyword (sent through the guard, as transactional)."""

    model_config = ConfigDict(extra="forbid")
    # 612 characters: four concatenated GSM-7 segments.
    help_text: str | None = Field(
        None, min_length=1, max_length=612, description="the answer to HELP or INFO"
    )
    stop_text: str | None = Field(
        None, min_length=1, max_length=612, description="one confirmation after STOP and its kin"
    )


class SmsReplies(ReplyTexts):
    """``[tool.sendguard.replies]``: answers to inbound texts, per number where they differ."""

    by_number: dict[str, ReplyTexts] = Field(
        default_factory=dict, description="texts for one of the stack's numbers (E.164), instead of these"
    )

    @field_validator("by_number")
    @classmethod
    def numbers_are_e164(cls, value: dict[str, ReplyTexts]) -> dict[str, ReplyTexts]:
        for number in value:
            if not _E164.fullmatch(number):
                raise ValueError(f"{number!r} is not an E.164 number like +12125550101")
        return value

    def for_number(self, number: str) -> ReplyTexts:
        return self.by_number.get(number) or self


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_LETTER = re.compile(r"[^\W\d_]")


def printed_text(value: str | None, what: str, newlines: bool = False) -> str | None:
    """Text the guard prints into a message as it is (``[sender]``, and a rule's own
    table, linters/rules/human_path): no control characters (a line break only where
    ``newlines``), and at least one letter."""
    if value is None:
        return value
    value = value.strip()
    if _CONTROL.search(value) or (not newlines and "\n" in value):
        raise ValueError(f"{what} may not hold control characters{'' if newlines else ' or line breaks'}")
    if not _LETTER.search(value):
        raise ValueError(f"{what} needs words, not only digits or signs")
    return value


class SenderIdentity(BaseModel):
    """``[tool.sendguard.sender]``: who sends, as the rules that look for it read it:
    the name a text or call gives (SG703, SG704), the postal address and the opt-out
    link a commercial email gives (SG702). Each is copied into the settings of the
    rules that have a setting of that name (``SENDER_SETTINGS``) unless a rule's own
    table sets it."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(
        None, min_length=1, max_length=80, description="the sender's name as readers know it ('Northwind')"
    )
    postal_address: str | None = Field(
        None,
        min_length=10,
        max_length=300,
        description="the sender's valid physical postal address (CAN-SPAM, 15 U.S.C. 7704(a)(5)(A)(iii))",
    )
    unsubscribe_url: str | None = Field(
        None,
        max_length=400,
        description="an https page where a reader opts out; absent: the one-click link the guard fills in",
    )

    @field_validator("name")
    @classmethod
    def name_is_text(cls, value: str | None) -> str | None:
        return printed_text(value, "the name", newlines=False)

    @field_validator("postal_address")
    @classmethod
    def address_is_text(cls, value: str | None) -> str | None:
        return printed_text(value, "the address", newlines=True)

    @field_validator("unsubscribe_url")
    @classmethod
    def https_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or not value.isascii() or not value.isprintable():
            raise ValueError(f"{value!r} is not an https URL like 'https://northwind.example/preferences'")
        if " " in value or "{" in value or "}" in value:
            raise ValueError(f"{value!r} holds a space or a brace: write the URL as it is sent")
        return value


# [sender] key -> the rule setting it fills (SG702, SG703, SG704 declare these settings).
SENDER_SETTINGS = {"name": "sender_name", "postal_address": "postal_address", "unsubscribe_url": "unsubscribe_url"}


def _settings_table(model: type[BaseModel], table: Any, where: str) -> Any:
    """A settings table read into ``model``; PolicyError naming the key otherwise."""
    if not isinstance(table, dict):
        raise PolicyError(f"{where}: expected a table, got {type(table).__name__}")
    try:
        return model.model_validate(table)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"])
        problem = "unknown setting" if first["type"] == "extra_forbidden" else first["msg"]
        known = ", ".join(model.model_fields)
        raise PolicyError(f"{where}{'.' + key if key else ''}: {problem} (it has: {known})") from None


def replies_from_document(document: dict[str, Any], source: str = "policy") -> SmsReplies:
    """The ``replies`` table alone, for code that must not load the rules (and spaCy):
    the inbound SMS function reads it from the same policy document as the guard."""
    return _settings_table(SmsReplies, document.get("replies", {}), f"{source}: replies")


# Legal floors: calling and texting hours (SG609, 47 CFR 64.1200(c)(1)). A policy may
# make them stricter (narrower hours, block instead of hold) but never weaker: an entry
# that sets such a rule to warn, rewrite or off, or an ``ignore`` that names it, is an
# error, and every other way to lower it (a selection prefix, a command-line --ignore,
# a reviewer's override) leaves it at its default action (``Policy.action``).
FLOORS = frozenset({"SG609"})
_STOPPING = frozenset({Action.HOLD, Action.BLOCK})


@dataclass(slots=True)
class Policy:
    actions: dict[str, Action] = field(default_factory=dict)
    settings: dict[str, BaseModel] = field(default_factory=dict)
    source: str = "defaults"
    # Words added to vocabulary classes; hashable, so it keys the matcher cache.
    vocabulary: Extension = ()
    # The selection layers applied to ``actions`` (the configuration's, then the command
    # line's) and the actions before them, so a later layer starts from the configured
    # actions (linters/selection.py: apply_layers).
    selection: tuple[Selection, ...] = ()
    configured: dict[str, Action] | None = None
    voice: VoiceDelivery = field(default_factory=VoiceDelivery)
    unsubscribe: OneClickUnsubscribe = field(default_factory=OneClickUnsubscribe)
    replies: SmsReplies = field(default_factory=SmsReplies)
    sender: SenderIdentity = field(default_factory=SenderIdentity)

    def action(self, rule: Rule) -> Action:
        chosen = self.actions.get(rule.id, rule.default_action)
        if rule.id in FLOORS and chosen not in _STOPPING:
            return rule.default_action  # a legal floor is never lowered (FLOORS)
        return chosen

    def settings_for(self, rule: Rule) -> BaseModel:
        found = self.settings.get(rule.id)
        if found is None:
            found = self.settings[rule.id] = rule.settings()
        return found


def _parse_action(where: str, value: Any) -> Action:
    try:
        return Action(value)
    except ValueError:
        choices = ", ".join(a.value for a in Action)
        raise PolicyError(f"{where}: unknown action {value!r} (use one of {choices})") from None


def _rule_entry(rule: Rule, where: str, entry: Any) -> tuple[Action | None, BaseModel]:
    if isinstance(entry, str):
        return _parse_action(where, entry), rule.settings()
    if not isinstance(entry, dict):
        raise PolicyError(f"{where}: expected an action or a table, got {type(entry).__name__}")
    entry = dict(entry)
    action = _parse_action(f"{where}.action", entry.pop("action")) if "action" in entry else None
    try:
        return action, rule.settings.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"])
        problem = first["msg"]
        if first["type"] == "extra_forbidden":
            problem = "unknown setting" + suggest(str(first["loc"][0]), rule.settings.model_fields)
        known = ", ".join(rule.settings.model_fields) or "none"
        raise PolicyError(f"{where}.{key}: {problem} (settings of {rule.id}: {known})") from None


def _floor_kept(rule: Rule, where: str, action: Action) -> None:
    """Refuse an action that would lower a legal floor (FLOORS)."""
    if rule.id in FLOORS and action not in _STOPPING:
        raise PolicyError(
            f"{where}: {rule.id} is a legal floor (calling hours, 47 CFR 64.1200(c)(1)): "
            f"its action may be hold or block, not {action.value!r}"
        )


def _floors_not_ignored(document: dict[str, Any], source: str) -> None:
    """An ``ignore`` that names a floor by its id is refused (a prefix such as "SG6"
    turns the others off and leaves the floor on)."""
    ignored = document.get("ignore")
    if not isinstance(ignored, list):
        return  # selection_from_config names the problem
    named = [part.strip().upper() for entry in ignored if isinstance(entry, str) for part in entry.split(",")]
    for rule_id in named:
        if rule_id in FLOORS:
            raise PolicyError(
                f"{source}: ignore: {rule_id} is a legal floor (calling hours, "
                "47 CFR 64.1200(c)(1)) and cannot be ignored; its settings can only make it stricter"
            )


def policy_from_mapping(document: dict[str, Any], source: str = "policy") -> Policy:
    """Build a Policy from the ``[tool.sendguard]`` table (already decoded)."""
    if not isinstance(document, dict):
        raise PolicyError(
            f"{source}: the policy must be a table (a JSON object), not {type(document).__name__}"
        )
    check_depth(document, source)
    from .rules import all_rules  # the rule families load spaCy: not for `sendguard rule`

    rules = {r.id: r for r in all_rules()}
    # SG900-SG902 (about lint's input) may be named, but their entries change nothing:
    # they are never switched off, SG900/SG902 are always block and SG901's action is
    # lint.bad_suppression (linters/selection.py: NEVER_IGNORED).
    fixed = {rule_id: RULES[rule_id] for rule_id in NEVER_IGNORED if rule_id in RULES}
    # The lint table belongs to `sendguard lint` (linters/lint/config.py), which validates it.
    top_keys = ("rules", "lint", "vocabulary", "voice", "claims", "unsubscribe", "replies", "sender", *CONFIG_KEYS)
    unknown_top = sorted(set(document) - set(top_keys), key=str)
    if unknown_top:
        key = str(unknown_top[0])
        raise PolicyError(
            f"{source}: unknown key {key!r}{suggest(key, top_keys)} "
            "(policy has: rules, lint, vocabulary, voice, claims, unsubscribe, replies, sender, select, "
            "extend-select, ignore, per-file-ignores)"
        )
    _floors_not_ignored(document, source)
    try:
        layer = selection_from_config(document, f"{source}: ")
        per_file_ignores_from_config(document, f"{source}: ")  # sendguard lint's; checked here too
    except SelectionError as exc:
        raise PolicyError(str(exc)) from None
    policy = Policy(source=source)
    if "vocabulary" in document:
        try:
            policy.vocabulary = extension_from(document["vocabulary"], f"{source}: vocabulary")
        except VocabularyError as exc:
            raise PolicyError(str(exc)) from None
    if "voice" in document:
        policy.voice = _settings_table(VoiceDelivery, document["voice"], f"{source}: voice")
    if "unsubscribe" in document:
        where = f"{source}: unsubscribe"
        policy.unsubscribe = _settings_table(OneClickUnsubscribe, document["unsubscribe"], where)
    policy.replies = replies_from_document(document, source)
    table = document.get("rules", {})
    if not isinstance(table, dict):
        raise PolicyError(f"{source}: rules must be a table")
    for rule_id, entry in table.items():
        where = f"{source}: rules.{rule_id}"
        if str(rule_id).upper() in fixed:
            _rule_entry(fixed[str(rule_id).upper()], where, entry)  # checked, then left out
            continue
        rule = rules.get(str(rule_id).upper())
        if rule is None:
            raise PolicyError(f"{where}: unknown rule id (see `sendguard rule --all`)")
        action, settings = _rule_entry(rule, where, entry)
        if action is not None:
            _floor_kept(rule, where if isinstance(entry, str) else f"{where}.action", action)
            policy.actions[rule.id] = action
        policy.settings[rule.id] = settings
    if "claims" in document:
        _claim_thresholds(policy, rules.values(), document["claims"], f"{source}: claims")
    if "sender" in document:
        policy.sender = _settings_table(SenderIdentity, document["sender"], f"{source}: sender")
        _sender_into_rules(policy, rules.values(), table)
    return layer.apply(policy)


def _sender_into_rules(policy: Policy, rules: Any, entries: dict[str, Any]) -> None:
    """``[sender]``'s facts into the settings of every rule that has a setting for them
    (``SENDER_SETTINGS``), unless the rule's own table sets that setting."""
    facts = {SENDER_SETTINGS[key]: value for key, value in policy.sender if value is not None}
    for rule in rules:
        fields = rule.settings.model_fields
        own = next((e for k, e in entries.items() if str(k).upper() == rule.id), None)
        mine = {k: v for k, v in facts.items() if k in fields and not (isinstance(own, dict) and k in own)}
        if mine:
            policy.settings[rule.id] = policy.settings_for(rule).model_copy(update=mine)


def _claim_thresholds(policy: Policy, rules: Any, table: Any, where: str) -> None:
    """``[claims] thresholds = {status = 0.8}``: the claim reader's threshold per class
    (linters/claim_reader.py) for every rule that reads it; a rule's own
    ``claim_thresholds`` entry wins for the classes it names."""
    if not isinstance(table, dict):
        raise PolicyError(f"{where}: expected a table, got {type(table).__name__}")
    unknown = sorted(set(table) - {"thresholds"}, key=str)
    if unknown:
        raise PolicyError(f"{where}.{unknown[0]}: unknown key{suggest(str(unknown[0]), ('thresholds',))} (claims has: thresholds)")
    try:
        thresholds = check_thresholds(table.get("thresholds", {}), f"{where}.thresholds")
    except ValueError as exc:
        raise PolicyError(str(exc)) from None
    for rule in rules:
        if "claim_thresholds" in rule.settings.model_fields:
            settings = policy.settings_for(rule)
            merged = {**thresholds, **settings.claim_thresholds}  # type: ignore[attr-defined]
            policy.settings[rule.id] = settings.model_copy(update={"claim_thresholds": merged})


def read_policy_document(path: str | Path) -> dict[str, Any]:
    """The ``[tool.sendguard]`` table of a TOML (``pyproject.toml``, ``sendguard.toml``)
    or JSON policy file; a file without the ``tool.sendguard`` prefix is the table itself."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: the policy file is not UTF-8 text") from None
    try:
        document = load_json(raw) if path.suffix == ".json" else parse_toml(raw, str(path))
    except json.JSONDecodeError as exc:
        if exc.msg == "nested too deeply":  # load_json's word for a RecursionError
            raise _too_deep(str(path), "") from None
        raise PolicyError(f"{path}: not valid JSON: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None
    if not isinstance(document, dict):
        raise PolicyError(
            f"{path}: the policy must be a table (a JSON object), not {type(document).__name__}"
        )
    if path.name == "pyproject.toml" or "tool" in document:
        tool = document.get("tool", {})
        document = tool.get("sendguard", {}) if isinstance(tool, dict) else {}
    # Only the table sendguard reads is walked; another tool's table is its own business.
    check_depth(document, str(path))
    return document


def load_policy_file(path: str | Path) -> Policy:
    """Read a policy file: TOML (``pyproject.toml`` or ``sendguard.toml``) or JSON."""
    return policy_from_mapping(read_policy_document(path), str(path))


def find_policy_file(start: str | Path) -> Path | None:
    """The nearest ``sendguard.toml``, or ``pyproject.toml`` with ``[tool.sendguard]``,
    walking up from ``start`` the way ruff and Vale find their configuration."""
    here = Path(start).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "sendguard.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = pyproject.read_text("utf-8")
                if "sendguard" not in text:
                    continue
                tool = parse_toml(text, str(pyproject)).get("tool", {})
                if isinstance(tool, dict) and "sendguard" in tool:
                    return pyproject
            except PolicyError:
                return pyproject  # too deep to read: loading it says so, naming the file
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                continue
    return None


def discover_policy(start: str | Path = ".") -> Policy:
    found = find_policy_file(start)
    return load_policy_file(found) if found else Policy()


def load_policy(path: str | None) -> Policy:
    """The policy file at ``path``, else the one found from the working directory (as
    ``sendguard check``, ``lint`` and ``preflight`` look for it), else the defaults."""
    return load_policy_file(path) if path else discover_policy(Path.cwd())
