"""The worst case over the worst-case corpus (tests/data/worst_case, and the cases of
render work below: RENDER_WORK_CASES). Run by `make bench`.

Every request must be judged or refused in under 0.5 s on this machine (docs/design.md,
section 6): limits are checked before rendering. This prints, for each case of the corpus, the
outcome and the slowest of a few runs (the first one is cold: nothing cached), then the
worst case overall. A figure to read, not a timed test.
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "scripts"))

CORPUS = ROOT / "tests" / "data" / "worst_case"
RUNS = 3
GOAL_SECONDS = 0.5


def _step(document: Any, key: str) -> tuple[Any, Any]:
    return (int(key), document) if isinstance(document, list) else (key, document)


def _apply(request: dict[str, Any], grow: dict[str, Any]) -> None:
    *parents, last = grow["path"].split(".")
    target: Any = request
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    key = int(last) if isinstance(target, list) else last
    if "unit" in grow:
        target[key] = (target.get(key) or "") + grow["unit"] * grow["times"]
    elif "nest" in grow:
        value: Any = grow["leaf"]
        for _ in range(grow["nest"]):
            width = grow.get("width", 1)
            value = [value] if width == 1 else [copy.deepcopy(value) for _ in range(width)]
        target[key] = value
    elif "list" in grow:
        target[key] = [copy.deepcopy(grow["item"]) for _ in range(grow["list"])]


def build(recipe: dict[str, Any]) -> str:
    """The request of a recipe, as the JSON text a producer would send."""
    request = copy.deepcopy(recipe["request"])
    for grow in recipe.get("grow", []):
        _apply(request, grow)
    return json.dumps(request)


def _render_work_case(text: str, data: dict[str, Any], grow: list[dict[str, Any]]) -> dict[str, Any]:
    """A recipe whose template passes every size limit but would render for minutes
    (issue 27): refused by the cost model (linters.limits.work_bound) before rendering."""
    return {
        "request": {
            "id": "worst-case",
            "channel": "email",
            "purpose": "transactional",
            "from": "orders@northwind.example",
            "to": "maggie.okafor@example.com",
            "template": {"subject": "Your Northwind order, {{first_name}}", "text": text},
            "data": data,
            "customer": {
                "first_name": "Margaret",
                "preferred_name": "Maggie",
                "last_name": "Okafor",
                "consent": {"email_marketing": True, "personalization": True},
                "timezone": "Europe/London",
            },
            "now": "2026-11-20T15:00:00Z",
        },
        "grow": grow,
        "expect": "template.text",
    }


_ORDER_LINE = {"sku": "NW-SCARF-CH", "name": "Merino wool scarf, charcoal", "quantity": 1, "price": "$38.00"}
_LONG_PATH = "@root." + ".".join(["b"] * 1000)  # a 1,000-key path: 2,005 characters of template
# Made in code rather than kept as JSON recipes in CORPUS: the templates are long and
# repetitive, and say more as the expressions that build them.
RENDER_WORK_CASES: dict[str, dict[str, Any]] = {
    # Five nested loops, each walking ../ back to the order's lines (12), around an
    # {{#if}} of a 1,000-key path: 12^5 iterations x 1,000 lookups, no text printed.
    # Before the cost model: `sendguard check` 88-122 s, then "allow".
    "nested_each_parent_paths_around_a_long_path": _render_work_case(
        "Hi {{first_name}},\n\n"
        + "".join("{{#each " + "../" * level + "a}}" for level in range(5))
        + "{{#if " + _LONG_PATH + "}}{{/if}}"
        + "{{/each}}" * 5
        + "\n\nNorthwind",
        {"first_name": "Maggie", "b": {"b": {"b": "deep"}}},
        [{"path": "data.a", "list": 12, "item": _ORDER_LINE}],
    ),
    # The same through @root.
    "nested_each_root_paths_around_a_long_path": _render_work_case(
        "Hi {{first_name}},\n\n"
        + "{{#each @root.a}}" * 5
        + "{{#if " + _LONG_PATH + "}}{{/if}}"
        + "{{/each}}" * 5,
        {"first_name": "Maggie", "b": {"b": {"b": "deep"}}},
        [{"path": "data.a", "list": 12, "item": _ORDER_LINE}],
    ),
    # Six empty nested loops over 60 lines: nothing printed, 60^6 iterations. Before:
    # refused by the renderer after 2 million steps (about 2 s).
    "empty_nested_each_six_deep": _render_work_case(
        "Hi {{first_name}},\n\n" + "{{#each @root.a}}" * 6 + "{{/each}}" * 6,
        {"first_name": "Maggie"},
        [{"path": "data.a", "list": 60, "item": _ORDER_LINE}],
    ),
    # The most render work a request may ask for: four empty nested loops over 21 lines,
    # 223,651 steps, just within the budget (250,000). Judged; rendering it is the
    # slowest render a request can get past the limits.
    "empty_nested_each_just_within_the_budget": {
        **_render_work_case(
            "Hi {{first_name}},\n\n" + "{{#each @root.a}}" * 4 + "{{/each}}" * 4,
            {"first_name": "Maggie"},
            [{"path": "data.a", "list": 21, "item": _ORDER_LINE}],
        ),
        "expect": "judged",
    },
    # Loops over an object's keys count too: 3 nested loops over 1,000 keys.
    "nested_each_over_object_keys": _render_work_case(
        "Hi {{first_name}},\n\n" + "{{#each @root.stock}}" * 3 + "{{/each}}" * 3,
        {"first_name": "Maggie", "stock": {f"NW-{n:04}": n for n in range(1000)}},
        [],
    ),
}


def load_corpus() -> list[tuple[str, dict[str, Any]]]:
    """The recipes of CORPUS, then RENDER_WORK_CASES, then the long newsletters."""
    from bench_preflight import newsletter_case

    kept = [(path.stem, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(CORPUS.glob("*.json"))]
    newsletters = [
        ("newsletter_15000_words", newsletter_case(11, claims=False)),
        ("newsletter_15000_words_a_claim_a_paragraph", newsletter_case(12, claims=True)),
    ]
    return kept + [(name, copy.deepcopy(recipe)) for name, recipe in RENDER_WORK_CASES.items()] + newsletters


def judge(body: str) -> str:
    """"judged (decision)" or the field of the RequestError that refused it."""
    from linters.engine import check
    from linters.models import RequestError, parse_request

    try:
        return f"judged ({check(parse_request(body)).decision})"
    except RequestError as exc:
        return f"refused: {exc.field or '(request)'}"


def compile_time(body: str) -> float:
    """Seconds to compile the request's template parts (the renderer caches them);
    0 when the request is refused before rendering."""
    from linters.engine import within_limits
    from linters.models import InlineTemplate, RequestError, parse_request
    from linters.render import compile_template

    try:
        request = parse_request(body)
        if not isinstance(request.template, InlineTemplate):
            return 0.0
        within_limits(request, request.template)
    except RequestError:
        return 0.0
    started = time.perf_counter()
    for name in ("subject", "text", "html"):
        source = getattr(request.template, name)
        if source:
            compile_template(source, name == "html")
    return time.perf_counter() - started


def main() -> int:
    from linters.engine import check
    from linters.models import parse_request

    # Warm the pipeline once (spaCy load), so the first case is not charged for it.
    check(parse_request(build(load_corpus()[0][1])))
    rows = []
    for name, recipe in load_corpus():
        body = build(recipe)
        compiling = compile_time(body)
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            outcome = judge(body)
            times.append(time.perf_counter() - started)
        rows.append((compiling + times[0], compiling, times[0], min(times), name, outcome, len(body)))
    print(f"worst-case corpus ({len(rows)} requests; goal: each judged or refused in under {GOAL_SECONDS} s)")
    print("  first run = compiling the template + judging it with nothing cached; warm = fastest of later runs")
    print("  first run  compile    judge     warm")
    for total, compiling, first, warm, name, outcome, size in sorted(rows, reverse=True):
        figures = " ".join(f"{value * 1000:8.1f}" for value in (total, compiling, first, warm))
        print(f"  {figures} ms  {name:44} {size:>8,} bytes  {outcome}")
    worst = max(rows)
    verdict = "within" if worst[0] < GOAL_SECONDS else "OVER"
    print(f"worst case: {worst[0] * 1000:.1f} ms ({worst[4]}), {verdict} the {GOAL_SECONDS} s goal")
    slowest_judge = max(rows, key=lambda row: row[2])
    print(f"slowest judgement once compiled: {slowest_judge[2] * 1000:.1f} ms ({slowest_judge[4]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
