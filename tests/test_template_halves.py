"""A rule's per-template half (``linters.registry.template_half``): read once per
template, exact for every recipient, and the same function ``sendguard lint`` runs.

The oracle is the half run on the recipient's own text (no placeholders): whatever the
merge values are and wherever they sit, ``spans_in`` must equal it. The messages are the
rules' own fixtures (tests/fixtures/rules/), re-rendered with words of their text moved
into merge values, so the same text reaches the rules with many skeletons.
"""

from __future__ import annotations

import json
import random
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from linters.engine import check, render_parts
from linters.fixed_text import FixedText, TemplateHalf
from linters.lint.config import LintConfig
from linters.lint.inputs import template_file
from linters.lint.linter import lint_template
from linters.message import Message
from linters.models import parse_request
from linters.registry import RULES, template_half
from linters.rules import all_rules

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
HALVES = {rule.id: rule.template for rule in all_rules() if rule.template is not None}
_WORD = re.compile(r"[^\W\d_][\w'-]*")


def test_the_rules_that_read_fixed_text_past_their_labels_declare_a_half() -> None:
    assert {"SG102", "SG104", "SG201", "SG202", "SG302", "SG303", "SG401", "SG502"} <= set(HALVES)
    for rule_id, half in HALVES.items():
        assert isinstance(half, TemplateHalf) and half.rule_id == rule_id
        assert half.labels and half.window >= 0 and (half.window or half.sentence or len(half.labels) > 1)
        assert half.__doc__, f"{rule_id}'s half says what it finds"


def _cases(rule_id: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / f"{rule_id}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["request"] for line in lines if line.strip()]


def _with_values(request: dict[str, Any], seed: int) -> dict[str, Any]:
    """The same message with about a third of its words (and every word next to one)
    given as merge values: the rendered text is unchanged, the skeleton is not."""
    chooser = random.Random(seed)
    template = dict(request["template"])
    data: dict[str, Any] = {}
    for name in ("subject", "text"):
        source = template.get(name)
        if not source or "{{" in source:
            continue
        pieces, last = [], 0
        for found in _WORD.finditer(source):
            if chooser.random() < 0.35:
                key = f"w{len(data)}"
                data[key] = found.group()
                pieces += [source[last : found.start()], "{{" + key + "}}"]
                last = found.end()
        template[name] = "".join([*pieces, source[last:]])
    return {**request, "template": template, "data": {**request.get("data", {}), **data}}


def _message(raw: dict[str, Any]) -> Message:
    request = parse_request(raw)
    return Message(request, request.customer, render_parts(request.template, request.data))


@pytest.mark.parametrize("rule_id", sorted(HALVES))
def test_spans_in_equals_the_half_on_the_recipients_own_text(rule_id: str) -> None:
    half = HALVES[rule_id]
    checked = 0
    for index, raw in enumerate(_cases(rule_id)):
        if raw is None or raw.get("template", {}).get("name"):
            continue
        for seed in range(6):
            message = _message(_with_values(raw, seed * 101 + index) if seed else raw)
            for part in message.readable():
                oracle = half.read(FixedText(part.text, part.analysis))
                assert half.spans_in(part) == oracle, (rule_id, index, seed, part.name, part.text)
                checked += 1
    assert checked >= 30


def test_a_template_is_read_once_for_all_its_recipients() -> None:
    half = HALVES["SG401"]
    reads: list[str] = []
    original = half.read

    def counted(fixed: FixedText) -> Any:
        reads.append(fixed.text)
        return original(fixed)

    half.read = counted  # type: ignore[method-assign]
    half._of_skeleton.cache_clear()
    try:
        for name in ("Ada", "Bartholomew", "Chidi", "Dolores", "Eun-ji"):
            raw = {
                "id": f"m-{name}",
                "from": "news@fellside.example",
                "channel": "email",
                "purpose": "marketing",
                "to": "reader@example.com",
                "template": {
                    "subject": "Still thinking it over?",
                    "text": "Hi {{first_name}},\n\nThe jacket you viewed on Tuesday is back in every size.",
                },
                "data": {"first_name": name},
                "customer": {"customer_id": "c-1", "first_name": name, "consent": {"personalization": False}},
            }
            findings = check(parse_request(raw)).findings
            assert "you viewed" in [f.excerpt for f in findings if f.rule == "SG401"]
    finally:
        half.read = original  # type: ignore[method-assign]
    skeletons = [text for text in reads if "\ue000" in text]
    # Once for the template's body, not once per recipient (the subject holds no
    # tracking words: nothing to read there).
    assert len(skeletons) == 1 and len(reads) == 1, reads


def test_a_value_beside_a_span_is_read_in_the_recipients_own_text() -> None:
    half = HALVES["SG401"]
    for opener, expected in (("Have", []), ("Loved what", ["you looked at"])):
        raw = {
            "id": "m-1",
            "from": "news@fellside.example",
            "channel": "email",
            "purpose": "marketing",
            "to": "reader@example.com",
            "template": {"subject": "New in", "text": "{{opener}} you looked at our new range?"},
            "data": {"opener": opener},
            "customer": None,
        }
        message = _message(raw)
        part = message.part("text")
        assert [part.text[s:e] for s, e in half.spans_in(part)] == expected


def test_a_half_is_registered_after_its_rule_in_the_same_module() -> None:
    with pytest.raises(RuntimeError, match="register the rule first"):
        template_half("SG999", labels=("TRACKING",), window=0)(lambda fixed: ())

    def second(fixed: FixedText) -> tuple:
        return ()

    second.__module__ = RULES["SG401"].module
    with pytest.raises(RuntimeError, match="already"):
        template_half("SG401", labels=("TRACKING",), window=0)(second)


def _lint(tmp_path: Path, body: str) -> list[tuple[str, str]]:
    path = tmp_path / "template.txt"
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return [(f.rule, f.excerpt) for f in lint_template(template_file(path), LintConfig())]


def test_lint_runs_the_same_half_as_the_guard(tmp_path: Path) -> None:
    asked = """
        ---
        purpose: marketing
        ---
        Hello,

        Have you looked at our new range? It arrived this week.
        """
    told = asked.replace("Have you looked at our new range?", "Still thinking about the jacket you viewed?")
    deadline = asked.replace("Have you looked at our new range?", "The armchair sale ends in 2 hours.")
    assert [rule for rule, _ in _lint(tmp_path, asked) if rule == "SG401"] == []
    assert ("SG401", "you viewed") in _lint(tmp_path, told)
    assert ("SG302", "ends in 2 hours") in _lint(tmp_path, deadline)


def test_the_campaign_reads_its_windows_from_the_halves() -> None:
    from linters.recipient_classes import fragment_words, window_labels

    windowed = {label for half in HALVES.values() if half.window for label in half.labels}
    assert window_labels() == windowed == {"OCCASION_GREETING", "STATUS_CLAIM", "TRACKING"}
    # The words each half looks for in a window that may cut a name in two ("Seymour"
    # ends in "our", "Thomas" in "as").
    assert {"as", "one", "of", "our", "us", "if", "when", "have"} <= fragment_words()
