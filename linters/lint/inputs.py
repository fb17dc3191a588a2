"""Template inputs: files with YAML front matter, SES template JSON, folders, a template store.

Every part keeps a map from its characters back to the file they came from, so a
finding inside an SES JSON string or below the front matter still points at the
right line and column of the file a reviewer opens.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..findings import Action
from ..handlebars import position
from ..models import Channel, InlineTemplate, load_json
from ..selection import suggest
from .findings import LintFinding

TEMPLATE_SUFFIXES = frozenset({".hbs", ".handlebars", ".txt", ".html", ".htm", ".md"})
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__"})
_HTML_SNIFF = re.compile(r"<(?:!doctype|html|body|p|div|table|td|br|a|span|h[1-6]|ul|li|img)\b", re.I)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_SES_V1_KEYS = {"subject": "SubjectPart", "text": "TextPart", "html": "HtmlPart"}
_SES_V2_KEYS = {"subject": "Subject", "text": "Text", "html": "Html"}


class InputError(ValueError):
    """A template input that cannot be linted; the message names the file.

    When the problem has a place in the file (bad front matter, bad JSON), ``line`` and
    ``column`` (1-based) say where and ``detail`` is the problem alone, so a report can
    point at it (``unreadable_finding``); the message then ends "(line L, column C)".
    """

    line: int | None = None
    column: int | None = None
    detail: str | None = None

    @classmethod
    def at(cls, path: str, line: int, column: int, detail: str) -> InputError:
        error = cls(f"{path}: {detail} (line {line}, column {column})")
        error.line, error.column, error.detail = line, column, detail
        return error


def unreadable_finding(path: str, error: InputError | str) -> LintFinding:
    """SG902 for an input that cannot be linted, at the problem's line and column when it
    has one (else 1:1), with the message alone (the report already names the file)."""
    problem = str(error)
    line = column = 1
    if isinstance(error, InputError) and error.detail is not None:
        problem, line, column = error.detail, error.line or 1, error.column or 1
    message = problem.removeprefix(f"{path}: ").removeprefix(f"{path}").lstrip(": ") or problem
    return LintFinding("SG902", "unreadable-input", Action.BLOCK, message, path, line, column, line, column)


class FrontMatter(BaseModel):
    """The YAML block at the top of a template file: how the template is sent."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    channel: Channel = Channel.EMAIL  # every channel a request may name (linters.models)
    purpose: Literal["marketing", "transactional", "service"] | None = None
    automated: bool = True
    subject: str | None = None
    audience: list[str] | None = None
    trigger: str | None = None
    campaign: str | None = None
    format: Literal["html", "text"] | None = Field(None, description="part of a .hbs file")
    data: dict[str, Any] = Field(default_factory=dict, description="sample template data")


@dataclass(slots=True)
class PartSource:
    """One part's template source; ``offsets[i]`` is the file offset of character ``i``."""

    name: str
    text: str
    base: int = 0
    offsets: list[int] | None = None

    def file_offset(self, index: int) -> int:
        if self.offsets is None:
            return self.base + index
        if not self.offsets:
            return self.base
        return self.offsets[min(max(index, 0), len(self.offsets) - 1)]


@dataclass(slots=True)
class TemplateSource:
    """A template to lint: its parts, how it is sent, and where findings point."""

    path: str
    parts: list[PartSource]
    meta: FrontMatter = field(default_factory=FrontMatter)
    file_text: str | None = None
    config_start: Path | None = None

    def locate(self, part: PartSource, index: int) -> tuple[str, int, int]:
        """(path, line, column) of character ``index`` of ``part``."""
        if self.file_text is None:  # an SES account template: each part is its own "file"
            return f"{self.path}/{part.name}", *position(part.text, index)
        return self.path, *position(self.file_text, part.file_offset(index))


def display_path(path: Path) -> str:
    """Relative to the working directory when inside it (what CI annotations need)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


# The front matter's text starts on the file's second line (after the opening ---).
_FRONT_LINE = 2


def _yaml_problem(exc: yaml.YAMLError, raw: str) -> tuple[str, int, int]:
    """(one-line problem, line, column in the file) of a YAML error in the front matter:
    where it happens, or where the construct it ends began (an unclosed quote) when that
    is the end of the front matter."""
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    if mark is None or (context_mark is not None and mark.index >= len(raw.rstrip())):
        mark = context_mark or mark
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    if context:
        problem = f"{problem} ({context})"
    if mark is None:
        return problem, _FRONT_LINE, 1
    return problem, mark.line + _FRONT_LINE, mark.column + 1


def _node_at(raw: str, loc: tuple[Any, ...], key_itself: bool) -> yaml.Node | None:
    """The YAML node of ``loc`` (its key's node when ``key_itself``), or None."""
    try:
        node: yaml.Node | None = yaml.compose(raw, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    for depth, step in enumerate(loc):
        last = depth == len(loc) - 1
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if str(k.value) == str(step)), None)
            if pair is None:
                return node
            node = pair[0] if last and key_itself else pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def split_front_matter(path: str, text: str) -> tuple[FrontMatter, int, str]:
    """(front matter, offset where the body starts, raw front matter text). A problem is
    an InputError at its line and column in the file."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return FrontMatter(), 0, ""
    raw = match.group(1) or ""
    try:
        document = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        problem, line, column = _yaml_problem(exc, raw)
        raise InputError.at(path, line, column, f"front matter is not valid YAML: {problem}") from None
    if not isinstance(document, dict):
        raise InputError.at(
            path, _FRONT_LINE, 1, "front matter must be a mapping of keys (channel, purpose, ...)"
        )
    try:
        meta = FrontMatter.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"])
        unknown = first["type"] == "extra_forbidden"
        hint = suggest(str(first["loc"][0]), FrontMatter.model_fields) if unknown else ""
        problem = ("unknown key" if unknown else first["msg"]) + hint
        if unknown and not hint:
            problem += f" (keys: {', '.join(FrontMatter.model_fields)})"
        node = _node_at(raw, tuple(first["loc"]), key_itself=unknown)
        line, column = (node.start_mark.line + _FRONT_LINE, node.start_mark.column + 1) if node else (2, 1)
        raise InputError.at(path, line, column, f"front matter {key}: {problem}") from None
    return meta, match.end(), raw


def _subject_offset(file_text: str, raw_front: str, subject: str) -> int:
    """File offset of the subject's value in the front matter (best effort for odd YAML)."""
    start = file_text.find(raw_front) if raw_front else 0
    match = re.search(r"(?m)^subject:[ \t]*(['\"]?)", raw_front)
    if not match:
        return max(start, 0)
    found = raw_front.find(subject[:20], match.end())
    return max(start, 0) + (found if found >= 0 else match.end())


def template_file(path: Path, text: str | None = None) -> TemplateSource:
    """A template file: front matter (optional) then one part, html or text."""
    text = _read(path) if text is None else text
    shown = display_path(path)
    meta, body_at, raw_front = split_front_matter(shown, text)
    kind = meta.format
    if kind is None:
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            kind = "html"
        elif suffix in (".txt", ".md"):
            kind = "text"
        else:
            kind = "html" if _HTML_SNIFF.search(text, body_at) else "text"
    parts = []
    if meta.subject is not None:
        parts.append(PartSource("subject", meta.subject, _subject_offset(text, raw_front, meta.subject)))
    parts.append(PartSource(kind, text[body_at:], body_at))
    return TemplateSource(shown, parts, meta, text, path)


def is_ses_document(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    body = document.get("Template", document.get("TemplateContent"))
    return isinstance(body, dict) and any(k in body for k in (*_SES_V1_KEYS.values(), *_SES_V2_KEYS.values()))


def ses_json_file(path: Path, text: str | None = None) -> TemplateSource:
    """``aws ses get-template`` or ``aws sesv2 get-email-template`` output."""
    text = _read(path) if text is None else text
    shown = display_path(path)
    try:
        document = load_json(text)
    except json.JSONDecodeError as exc:
        raise InputError.at(shown, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}") from None
    if not is_ses_document(document):
        raise InputError(
            f"{shown}: not an SES template (expected {{'Template': {{'SubjectPart', ...}}}} "
            "or {'TemplateContent': {'Subject', ...}})"
        )
    body = document.get("Template", document.get("TemplateContent"))
    keys = _SES_V1_KEYS if "Template" in document else _SES_V2_KEYS
    parts = []
    for name, key in keys.items():
        value = body.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InputError(f"{shown}: {key} must be a string")
        offsets = json_string_offsets(text, key, value)
        parts.append(PartSource(name, value, 0, offsets))
    name = body.get("TemplateName", document.get("TemplateName"))
    return TemplateSource(shown, parts, FrontMatter(name=name), text, path)


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def json_string_offsets(raw: str, key: str, value: str) -> list[int] | None:
    """Raw offsets of each character of the JSON string that is ``key``'s value."""
    for match in re.finditer(rf'"{re.escape(key)}"\s*:\s*"', raw):
        offsets: list[int] = []
        decoded: list[str] = []
        i = match.end()
        while i < len(raw) and raw[i] != '"':
            offsets.append(i)
            if raw[i] == "\\" and raw[i + 1 : i + 2] == "u":
                decoded.append(chr(int(raw[i + 2 : i + 6], 16)))
                i += 6
            elif raw[i] == "\\":
                decoded.append(_ESCAPES.get(raw[i + 1 : i + 2], ""))
                i += 2
            else:
                decoded.append(raw[i])
                i += 1
        offsets.append(i)
        # \u surrogate pairs decode to two halves in JSON, one character in Python.
        if "".join(decoded).encode("utf-16", "surrogatepass").decode("utf-16") == value:
            return offsets if len(decoded) == len(value) else None
    return None


def _excluded(relative: str, patterns: Iterable[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def walk(root: Path, exclude: Iterable[str]) -> Iterator[Path]:
    """Template files under ``root`` in a stable order, skipping VCS and excluded paths."""
    patterns = list(exclude)
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIPPED_FOLDERS
            and not d.startswith(".")
            and not _excluded((here / d).relative_to(root).as_posix(), patterns)
        )
        for name in sorted(files):
            path = here / name
            relative = path.relative_to(root).as_posix()
            suffix = path.suffix.lower()
            if _excluded(relative, patterns) or suffix not in TEMPLATE_SUFFIXES | {".json"}:
                continue
            yield path


def template_from_text(path: Path, text: str) -> TemplateSource:
    """A template given as text (stdin), read as the file ``path`` would be."""
    if path.suffix.lower() == ".json":
        return ses_json_file(path, text)
    return template_file(path, text)


def _in_template_folder(path: Path, folders: Iterable[str]) -> bool:
    """True when ``path`` is inside a folder config names (globs on the absolute path)."""
    absolute = path.resolve().as_posix()
    return any(fnmatch.fnmatch(absolute, pattern) for pattern in folders)


def load_path(path: Path, explicit: bool, template_folders: Iterable[str] = ()) -> TemplateSource | None:
    """The template in ``path``, or None when a file met by walking (or handed over by
    pre-commit) is not a template.

    Named on the command line (``explicit``), any file is linted. Otherwise a file is a
    template when it is ``.hbs``/``.handlebars``, starts with front matter, or is an
    ``.html``/``.txt`` file or SES JSON inside a folder ``lint.template_folders`` names,
    so README.md, requirements.txt and package.json are never read as messages.
    """
    suffix = path.suffix.lower()
    if explicit:
        return ses_json_file(path) if suffix == ".json" else template_file(path)
    if suffix in (".hbs", ".handlebars"):
        return template_file(path)
    in_folder = _in_template_folder(path, template_folders)
    if suffix == ".json":
        return _ses_json_if_any(path) if in_folder else None
    if suffix not in TEMPLATE_SUFFIXES:
        return None
    text = _read(path)
    if _FRONT_MATTER.match(text) or (in_folder and suffix != ".md"):
        return template_file(path, text)
    return None


def _ses_json_if_any(path: Path) -> TemplateSource | None:
    text = _read(path)
    try:
        if not is_ses_document(load_json(text)):
            return None
    except json.JSONDecodeError:
        return None
    return ses_json_file(path, text)


class TemplateProvider(Protocol):
    """Stored templates outside the working tree (``sendguard lint --from-ses``): called
    with the region the command line names (or None), yields ``(name, template)``. Raises
    InputError when the store cannot be read. The engine has none of its own; the AWS
    one (the SES account) lives in ``functions/ses_templates.py`` and the console script
    hands it to the CLI."""

    def __call__(self, region: str | None, /) -> Iterable[tuple[str, InlineTemplate]]: ...


def stored_templates(provider: TemplateProvider, region: str | None = None) -> Iterator[TemplateSource]:
    """Each of the provider's templates as a TemplateSource named ``ses/NAME``; each part is
    its own "file" (``ses/NAME/text``), as the templates have no file to point into."""
    for name, template in provider(region):
        parts = [
            PartSource(part, source)
            for part in ("subject", "text", "html")
            if (source := getattr(template, part)) is not None
        ]
        yield TemplateSource(f"ses/{name}", parts, FrontMatter(name=name))
