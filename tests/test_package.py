"""`make package`: the Lambda artifacts fit, carry what each function imports and no
more, and template.yaml points at them.

The first run installs the dependencies for the Lambda platform from the package index
(about two minutes); they are cached under build/deps/ by requirements hash, so later
runs only copy our code.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def _package_module() -> Any:
    spec = importlib.util.spec_from_file_location("sendguard_package", ROOT / "scripts" / "package.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


package = _package_module()


@pytest.fixture(scope="module")
def built() -> Path:
    package.build(package.OUT)
    return package.OUT


@pytest.fixture(scope="module")
def sizes(built: Path) -> dict[str, int]:
    from functions.local import load_template

    return package.function_sizes(load_template())


def top_level(directory: Path) -> set[str]:
    return {p.name.split("-")[0].lower() for p in directory.iterdir()}


def test_functions_fit_well_under_lambdas_limit(sizes: dict[str, int]) -> None:
    assert sizes["GuardFunction"] <= 150 * MIB
    assert sizes["FeedbackFunction"] <= 30 * MIB
    assert sizes["LintApiFunction"] <= 250 * MIB
    assert package.over_limits(sizes) == []


def test_over_a_limit_is_reported() -> None:
    [problem] = package.over_limits({"FeedbackFunction": 31 * MIB, "GuardFunction": 10 * MIB})
    assert problem.startswith("FeedbackFunction: 31.0 MiB unzipped, over its limit of 30 MiB")


def test_boto3_is_left_to_the_runtime(built: Path) -> None:
    for site in (built / "nlp-layer" / "python", built / "feedback"):
        assert not top_level(site) & {"boto3", "botocore", "s3transfer"}


def test_feedback_gets_only_what_it_imports(built: Path) -> None:
    shipped = top_level(built / "feedback")
    assert {"pydantic", "pydantic_core", "aws_lambda_powertools", "linters", "functions"} <= shipped
    assert not shipped & {"spacy", "thinc", "numpy", "blis", "aws_xray_sdk"}


def test_guard_and_lint_api_get_our_code_and_the_nlp_layer(built: Path) -> None:
    assert top_level(built / "guard") == top_level(built / "lint_api") == {"linters", "functions"}
    layer = top_level(built / "nlp-layer" / "python")
    assert {"spacy", "pydantic", "aws_lambda_powertools", "aws_xray_sdk", "yaml"} <= layer
    assert "spacy_lookups_data" not in layer  # the English table ships in linters/data
    assert (built / "guard" / "linters" / "data" / "en_lemma_lookup.json.gz").is_file()
    assert not list((built / "guard").rglob("requirements.txt"))


def test_code_artifacts_carry_the_lean_botocore_data(built: Path) -> None:
    from functions import botocore_data

    for name in ("guard", "lint_api", "feedback"):
        lean = built / name / "functions" / "botocore_data"
        assert (lean / "endpoints.json").is_file()
        assert {p.parts[-3] for p in lean.glob("*/*/service-2.json")} == set(botocore_data.LEAN_MODELS)
        assert botocore_data.problems(lean) == []
        # Lambda runs the function as another user than the builder: all readable.
        assert {p.stat().st_mode & 0o777 for p in [lean, *lean.rglob("*")] if p.is_dir()} == {0o755}
        assert {p.stat().st_mode & 0o777 for p in lean.rglob("*") if p.is_file()} == {0o644}


@pytest.mark.skipif(package.runtime_python("3.12") is None, reason="no python3.12 here to compile with")
def test_the_tokenizers_patterns_ship_compiled_for_the_runtime(built: Path) -> None:
    for name in ("guard", "lint_api"):
        files = list((built / name / "linters" / "__pycache__").glob("regex-*.cpython-312.bin"))
        assert len(files) == 3 and {f.stat().st_mode & 0o777 for f in files} == {0o644}
    assert not list((built / "feedback" / "linters" / "__pycache__").glob("regex-*"))


def _section_names(library: Path) -> set[str]:
    """Section names of a 64-bit little-endian ELF file (what strip removes)."""
    data = library.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    names_offset = struct.unpack_from("<Q", data, shoff + shstrndx * shentsize + 0x18)[0]
    names = set()
    for index in range(shnum):
        name_at = struct.unpack_from("<I", data, shoff + index * shentsize)[0]
        end = data.index(b"\0", names_offset + name_at)
        names.add(data[names_offset + name_at : end].decode())
    return names


def test_extension_modules_carry_no_debug_information(built: Path) -> None:
    layer = built / "nlp-layer" / "python"
    modules = list((layer / "spacy").rglob("*.so")) + list((layer / "thinc").rglob("*.so"))
    assert len(modules) > 20
    assert all(not any(n.startswith(".debug") for n in _section_names(m)) for m in modules)


def test_test_suites_are_left_out(built: Path) -> None:
    layer = built / "nlp-layer" / "python"
    assert not (layer / "spacy" / "tests").exists()
    assert not list((layer / "numpy").rglob("tests"))


def _third_party_imports(paths: list[Path]) -> set[str]:
    import ast

    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"linters", "functions"}


def test_the_layer_provides_every_library_the_lambda_code_imports() -> None:
    from importlib import metadata
    from importlib.metadata import packages_distributions

    from packaging.requirements import Requirement

    # Local-only modules: `sendguard invoke` (moto) and `sendguard import-ses`.
    local_only = {ROOT / "functions" / "local.py", ROOT / "functions" / "ses_import.py"}
    code = [p for p in (*ROOT.glob("linters/**/*.py"), *ROOT.glob("functions/**/*.py")) if p not in local_only]
    lines = (ROOT / "functions" / "guard" / "requirements.txt").read_text().splitlines()
    required = {Requirement(line.split("#")[0]).name.lower() for line in lines if line.split("#")[0].strip()}
    # What the required distributions install with them (pydantic brings pydantic-core).
    for name in list(required):
        required |= {Requirement(r).name.lower() for r in metadata.requires(name) or [] if "extra ==" not in r}
    distributions = packages_distributions()
    # Imported lazily by command-line-only paths: `sendguard completion`, preflight's
    # progress bar, and `sendguard contacts ... --api-url` (the signed client).
    command_line_only = {"shtab", "tqdm", "sendguard_client"}
    for module in _third_party_imports(code) - command_line_only:
        names = {name.lower().replace("_", "-") for name in distributions.get(module, [module])}
        assert names & (required | package.PROVIDED_BY_RUNTIME), f"{module} is imported but not in the layer"
