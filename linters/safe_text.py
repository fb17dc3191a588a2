"""Text that is safe to print: no control characters, no GitHub workflow commands.

Everything sendguard prints can carry text it did not write: file names, request and
message ids, customer labels, configuration keys, template text in rule messages.
A terminal obeys an ESC, BEL or C1 sequence in that text, and the GitHub Actions
runner obeys any output line (stdout or stderr) that starts with ``::`` after
leading whitespace (``::error``, ``::stop-commands::``, ``::add-mask::``...). So:

* ``visible`` shows every control character as an escape (``\\n``, ``\\x1b``,
  ``\\x9b``, ``\\u2028``): one field is always one line, and nothing reaches the
  terminal raw. Printable text, including non-ASCII letters, is kept.
* ``plain_lines`` keeps a text report's own line breaks and makes sure no line can
  be read as a workflow command.
* ``workflow_data`` and ``workflow_property`` escape the parts of a workflow command
  as GitHub says (``%``, CR, LF; and ``:`` ``,`` in properties), and other controls
  as ``visible`` does.
* ``dumps`` is ``json.dumps`` whose output has no raw control character: json
  escapes C0 itself, and this escapes DEL, C1 (U+0080-U+009F), the line and paragraph
  separators and the bidirectional overrides as ``\\uXXXX``, which decode to the same
  string.
* ``error_line`` is for messages to stderr: one visible line.
* ``xml_text`` and ``xml_attribute`` are for XML (the JUnit report): text as
  ``plain_lines`` and ``visible`` show it, with what XML 1.0 cannot hold at all (lone
  surrogates, U+FFFE, U+FFFF) written as ``\\uXXXX`` too, then ``&``, ``<``, ``>``
  (and ``"`` in an attribute) as entities: well-formed whatever the input.

The formats that use them are in ``linters/formats/``.
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

# C0 and DEL, C1, the Unicode line and paragraph separators, and the bidirectional
# embeddings, overrides and isolates (they reorder what a terminal shows: "Trojan Source").
_CONTROL_CLASS = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROL_CLASS}]")
# The same but for the newline and the tab, which a multi-line text report keeps.
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Characters XML 1.0 cannot hold even as a character reference (besides the controls).
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
_NOT_JSON_SAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The runner trims leading whitespace (.NET's Char.IsWhiteSpace) before it looks for "::".
_COMMAND_START = re.compile(r"^(\s*):(?=:)")


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: Any) -> str:
    """``text`` on one line, every control character shown as an escape."""
    return _CONTROL.sub(lambda m: _escape(m.group()), str(text))


def has_control(text: str, *, in_lines: bool = False) -> bool:
    """Whether ``text`` holds a character ``visible`` would escape; with ``in_lines``,
    one that ``plain_lines`` would (newline and tab are then allowed)."""
    return (_CONTROL_BUT_NEWLINE if in_lines else _CONTROL).search(text) is not None


def defuse_line(line: str) -> str:
    """``line``, except that a line the runner would read as a workflow command has its
    first colon escaped (``\\x3a``), so it is printed, not obeyed."""
    return _COMMAND_START.sub(lambda m: f"{m.group(1)}\\x3a", line, count=1)


def plain_lines(report: str) -> str:
    """A text report with its own line breaks kept: control characters other than the
    newline (and tab) escaped, and no line a workflow command."""
    escaped = _CONTROL_BUT_NEWLINE.sub(lambda m: _escape(m.group()), report)
    return "\n".join(defuse_line(line) for line in escaped.split("\n"))


def error_line(message: Any) -> str:
    """A message for stderr: one line, visible, never a workflow command."""
    return defuse_line(visible(message))


def workflow_data(text: Any) -> str:
    """The message of a workflow command (after ``::``), as GitHub escapes it."""
    escaped = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return visible(escaped)


def workflow_property(text: Any) -> str:
    """A property value of a workflow command (``file=``, ``title=``)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def json_safe(document_text: str) -> str:
    """JSON text with the characters json leaves raw (DEL, C1, U+2028/9, bidi controls)
    written as ``\\uXXXX``; they only ever occur inside strings, so it decodes the same."""
    return _NOT_JSON_SAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", document_text)


def dumps(document: Any, **options: Any) -> str:
    """``json.dumps`` (``ensure_ascii=False`` unless given) with no raw control character."""
    options.setdefault("ensure_ascii", False)
    return json_safe(json.dumps(document, **options))


def output(report: str) -> str:
    """The last guard before anything is printed: control characters a writer left in
    (other than newline and tab) as ``\\uXXXX`` escapes, valid inside a JSON string
    and readable in text. Lines are left alone (a github report's are commands)."""
    return _CONTROL_BUT_NEWLINE.sub(lambda m: f"\\u{ord(m.group()):04x}", report)


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def xml_text(text: Any) -> str:
    """Element text for an XML document: line breaks kept, every other control escaped as
    ``plain_lines`` does, no character XML cannot hold, markup characters as entities."""
    return _xml_escape(_xml_safe(plain_lines(str(text))))


def xml_attribute(text: Any) -> str:
    """An attribute value (to put between double quotes): one line, as ``visible``."""
    return _xml_escape(_xml_safe(visible(text)), {'"': "&quot;"})
