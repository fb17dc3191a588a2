"""The project's import structure: no import circles, and an engine (linters/) with no AWS.

Read from the source with ``ast`` (nothing is imported): every ``import`` and ``from ...
import``, at module level and inside functions (a circle hidden behind a function-level
import is still a circle), plus ``importlib.import_module("name")`` and
``__import__("name")`` with a literal name.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("linters", "functions", "sendguard")
AWS_OR_FUNCTIONS = re.compile(r"(boto3|botocore|functions)(\.[A-Za-z_]\w*)*")

# Circles other engineers are removing in this change (issue 28, item 5), being fixed in
# this change: the test reports them but only xfails while nothing else is left. Delete
# each entry when its circle is gone.
KNOWN_CIRCLES = (
    lambda circle: circle == {"functions.guard.app", "functions.review.release"},
    lambda circle: circle == {"functions.review.command", "functions.review.console"},
    lambda circle: (
        "linters.registry" in circle
        and all(
            m == "linters.registry" or m == "linters.rules" or m.startswith("linters.rules.") for m in circle
        )
    ),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for top in PACKAGES for p in sorted((ROOT / top).rglob("*.py"))}


def _import_call_target(node: ast.Call) -> str | None:
    """The literal name of ``importlib.import_module("x")`` / ``import_module("x")`` / ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every module name ``module`` imports, anywhere in its source; ``from a import b``
    yields ``a`` and ``a.b`` (b may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Call) and (target := _import_call_target(node)):
            yield target


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (a package's own parents left out:
    importing ``linters`` from ``linters.cli`` only runs ``linters/__init__.py``)."""

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for name in imported_names(module, path):
            target = resolve(name)
            if target and target != module and not module.startswith(f"{target}."):
                graph[module].add(target)
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found


def _describe(found: Iterable[set[str]]) -> str:
    return "\n".join(" <-> ".join(sorted(circle)) for circle in found)


# --- the checker itself ------------------------------------------------------------------


def test_the_circle_finder_sees_function_level_and_indirect_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert circles(graph) == [{"a", "b", "c"}]


def test_imports_inside_functions_and_by_literal_name_are_edges(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "import importlib\n"
        "def late():\n"
        "    from .rewrite import fix\n"
        "    from .. import models\n"
        "    return importlib.import_module('functions.local')\n",
        encoding="utf-8",
    )
    names = set(imported_names("linters.lint.mod", source))
    assert {"linters.lint.rewrite", "linters.lint.rewrite.fix", "linters.models", "functions.local"} <= names


# --- the project -------------------------------------------------------------------------


def test_no_import_circles_among_the_projects_modules() -> None:
    found = circles(import_graph(project_modules()))
    if not found:
        return
    unknown = [c for c in found if not any(known(c) for known in KNOWN_CIRCLES)]
    report = _describe(found)
    assert not unknown, f"import circles (module and function level):\n{report}"
    pytest.xfail(f"only the circles being fixed in this change are left:\n{report}")


def _strings_naming_aws_or_functions(path: Path) -> Iterator[str]:
    """String literals that are a module name under boto3, botocore or functions: what a
    table of plugin modules loaded by name would hold. Docstrings are prose, not names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and AWS_OR_FUNCTIONS.fullmatch(node.value)
        ):
            yield node.value


def test_the_engine_imports_no_aws_sdk_and_nothing_of_functions() -> None:
    offending = []
    for module, path in project_modules().items():
        if module.split(".")[0] != "linters":
            continue
        for name in imported_names(module, path):
            if AWS_OR_FUNCTIONS.fullmatch(name):
                offending.append(f"{module} imports {name}")
        for name in _strings_naming_aws_or_functions(path):
            offending.append(f"{module} names {name!r} (a module loaded by name?)")
    assert not offending, "\n".join(offending)


# --- the CLI's wiring ----------------------------------------------------------------------


def test_the_engines_cli_alone_has_no_aws_commands(capsys: pytest.CaptureFixture[str]) -> None:
    from linters.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["invoke", "guard", "events/sqs-batch.json"])
    assert stop.value.code == 2 and "invalid choice: 'invoke'" in capsys.readouterr().err
    assert main(["lint", "--from-ses"]) == 2
    assert "--from-ses: this build cannot read the SES account" in capsys.readouterr().err


def test_lint_from_ses_reads_the_template_provider_it_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    from linters.cli import main
    from linters.lint.inputs import InputError
    from linters.models import InlineTemplate

    asked: list[str | None] = []

    def store(region: str | None) -> Iterator[tuple[str, InlineTemplate]]:
        asked.append(region)
        yield (
            "WinBack",
            InlineTemplate(subject="News", text="Hello,\n\nYou are our most valuable customer.\n"),
        )

    status = main(
        ["lint", "--from-ses", "--region", "eu-west-1", "--fail-on", "rewrite"], template_provider=store
    )
    assert status == 1 and asked == ["eu-west-1"]
    assert capsys.readouterr().out.splitlines()[0].startswith("ses/WinBack/text:3:9: SG201 ")

    def unreachable(region: str | None) -> Iterator[tuple[str, InlineTemplate]]:
        raise InputError("cannot list the SES templates: no credentials")
        yield  # a generator, as a real store is

    assert main(["lint", "--from-ses"], template_provider=unreachable) == 2
    assert "--from-ses: cannot list the SES templates: no credentials" in capsys.readouterr().err


def test_the_console_script_lists_the_aws_commands_without_importing_them() -> None:
    code = (
        "import sys\nfrom sendguard._entry import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'moto'))\n"
        "ours = sorted(m for m in sys.modules if m.startswith('functions.') and m != 'functions.cli_commands')\n"
        "print('LOADED', heavy, ours, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    for command in ("invoke", "import-ses", "review", "preflight", "check", "lint"):
        assert command in done.stdout
    assert done.stderr.strip().endswith("LOADED [] []")


# --- one rule, one home ------------------------------------------------------------------

RULES_DIR = ROOT / "linters" / "rules"
# The family folder of each hundred of rule ids.
FAMILIES = {
    "0": "rewrite",
    "1": "personalization",
    "2": "claims",
    "3": "pressure",
    "4": "privacy",
    "5": "relevance",
    "6": "contact",
    "7": "human_path",
    "8": "integrity",
    "9": "input",
}


def _rule_decorators(path: Path) -> list[str]:
    """The ids a module registers with ``@rule("SGxxx", ...)``, read from its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        decorator.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for decorator in node.decorator_list
        if isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Name)
        and decorator.func.id == "rule"
        and decorator.args
        and isinstance(decorator.args[0], ast.Constant)
    ]


def test_every_rule_lives_in_its_own_module_named_for_what_it_catches() -> None:
    from linters.rules import registered_rules

    for registered in registered_rules():
        family = FAMILIES[registered.id[2]]
        expected = f"linters.rules.{family}.{registered.name.replace('-', '_')}"
        assert registered.module == expected, f"{registered.id} lives in {registered.module}, not {expected}"
        path = RULES_DIR / family / f"{registered.name.replace('-', '_')}.py"
        assert _rule_decorators(path) == [registered.id], f"{path}: one @rule, {registered.id}'s"


def test_helper_modules_register_no_rule_and_every_rule_module_one() -> None:
    from linters.rules import registered_rules

    modules = {r.module for r in registered_rules()}
    for path in sorted(RULES_DIR.rglob("*.py")):
        found = _rule_decorators(path)
        name = module_name(path)
        if path.name.startswith("_") or path.parent == RULES_DIR:
            assert not found, f"{path} is a package or helper module and registers {found}"
        else:
            assert path.parent.name in FAMILIES.values(), f"{path} is in no family folder"
            assert len(found) == 1 and name in modules, f"{path} registers {found}, not one rule"


def test_every_family_folder_is_a_documented_package() -> None:
    for family in FAMILIES.values():
        init = RULES_DIR / family / "__init__.py"
        assert init.is_file() and ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), family


def test_every_message_rule_declares_what_it_reads_from_the_vocabulary() -> None:
    from linters.registry import MESSAGE, READS
    from linters.rules import registered_rules

    for registered in registered_rules():
        assert set(registered.reads) <= READS, registered.id
        assert registered.reads or registered.stage != MESSAGE, f"{registered.id} declares no reads"


@pytest.mark.parametrize(
    "reads",
    [("customer.shoe_size",), ("request.history",), ("txt",), "text", ("text", "text")],
)
def test_a_rule_cannot_register_reads_outside_the_vocabulary(reads: object) -> None:
    from linters.findings import Action
    from linters.registry import RULES, rule

    with pytest.raises(RuntimeError, match="SG998"):
        rule("SG998", "test-reads", Action.WARN, reads=reads)  # type: ignore[arg-type]
    assert "SG998" not in RULES


def test_a_message_rule_must_say_what_it_reads() -> None:
    from linters.findings import Action
    from linters.registry import rule

    with pytest.raises(RuntimeError, match="declare what it reads"):
        rule("SG998", "test-reads", Action.WARN)
