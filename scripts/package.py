"""Build the Lambda artifacts template.yaml points at: `make package`.

For the runtime and architecture in template.yaml's Globals (python3.12, arm64), it
installs each artifact's requirements with ``pip install --platform manylinux2014_<arch>
--only-binary=:all: --python-version 3.12 --target``, then

- leaves out boto3, botocore and s3transfer (the Lambda runtime provides them) and
  checks that nothing shipped needs a newer boto3 than the runtime's;
- drops the test suites packages ship, and data no function reads (``UNUSED_DATA``:
  phonenumbers' geocoder and carrier tables), and strips debug symbols from shared libraries
  (``strip --strip-unneeded``; the binutils ``strip`` for the target architecture, or
  ``llvm-strip``, which handles every architecture);
- precompiles the Python files when an interpreter of the runtime's version is at hand
  (``/var/task`` is read-only, so Lambda would otherwise compile them at every cold start),
  and with it the tokenizer's affix patterns (``linters/regex_cache.py``: a third of
  building the spaCy pipeline);
- writes the lean botocore data into each artifact with our code
  (``functions/botocore_data.py``: the endpoint data and the DynamoDB and SSM models
  a cold start parses, cut down).

Artifacts, under build/lambda/:

- ``nlp-layer``: a layer with spaCy, pydantic and Powertools, for the guard and the lint
  API (both run the engine), from functions/guard/requirements.txt;
- ``guard`` and ``lint_api``: our code only (``linters/``, ``functions/``);
- ``feedback``: our code plus what it imports (pydantic, Powertools), from
  functions/feedback/requirements.txt. No spaCy.

Installed dependencies are cached under build/deps/, keyed by a hash of the requirement
file, platform and Python version, so a second run only copies our code. It prints the
unzipped size of each function (its code plus its layers) and fails when one is over its
limit (``LIMITS``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions.local import load_template  # noqa: E402 - after the path is set

BUILD = ROOT / "build"
OUT = BUILD / "lambda"
DEPS = BUILD / "deps"
MIB = 1024 * 1024
LAMBDA_LIMIT = 250 * MIB  # unzipped function code plus all its layers
LIMITS = {"GuardFunction": 150 * MIB, "FeedbackFunction": 30 * MIB}
# boto3 the python3.12 runtime has had since 2024; nothing shipped may need a newer one.
RUNTIME_BOTO3 = Version("1.34.0")
PROVIDED_BY_RUNTIME = {"boto3", "botocore", "s3transfer"}
OUR_PACKAGES = ("linters", "functions")
PLATFORMS = {"arm64": "aarch64", "x86_64": "x86_64"}
# Pure-Python projects published as source only: built into wheels here first, since
# --platform installs take wheels only. (pybars3 and its PyMeta3.)
SOURCE_ONLY = {"pybars3"}
WHEELS = BUILD / "wheels"
# Bump when the way dependencies are installed or trimmed changes: invalidates build/deps.
RECIPE = "5"
# Data of shipped packages that no function reads: phonenumbers' geocoder (place names for
# every number prefix in many languages, about 40 MiB) and its carrier names. The engine
# reads only its parsing metadata and time-zone data (linters/phone_zones.py), and
# ``import phonenumbers`` loads neither table.
UNUSED_DATA = ("phonenumbers/geodata", "phonenumbers/carrierdata")


@dataclass(frozen=True, slots=True)
class Artifact:
    name: str  # the directory under build/lambda, as template.yaml names it
    requirements: str | None  # a pip requirements file, relative to the repository
    code: bool  # whether our packages go in
    layer: bool = False  # a layer's packages live under python/
    uses_nlp_layer: bool = False  # runs the engine on the NLP layer's spaCy


ARTIFACTS = (
    Artifact("nlp-layer", "functions/guard/requirements.txt", code=False, layer=True),
    Artifact("guard", None, code=True, uses_nlp_layer=True),
    Artifact("lint_api", None, code=True, uses_nlp_layer=True),
    Artifact("feedback", "functions/feedback/requirements.txt", code=True),
)


@dataclass(frozen=True, slots=True)
class Target:
    python: str  # "3.12"
    arch: str  # "aarch64" or "x86_64"

    @property
    def platform(self) -> str:
        return f"manylinux2014_{self.arch}"


def target_of(template: dict[str, Any]) -> Target:
    function = template["Globals"]["Function"]
    python = re.fullmatch(r"python(\d+\.\d+)", function["Runtime"])
    if python is None:
        raise SystemExit(f"template.yaml: runtime {function['Runtime']} is not a Python runtime")
    [architecture] = function.get("Architectures", ["x86_64"])
    return Target(python.group(1), PLATFORMS[architecture])


# --- tools -----------------------------------------------------------------------------


def strip_tool(arch: str) -> str:
    """A ``strip`` that understands ``arch``: the host's binutils when it is that
    architecture, the cross binutils (binutils-aarch64-linux-gnu), or llvm-strip."""
    candidates = [f"{arch}-linux-gnu-strip"]
    if platform.machine() == arch:
        candidates.append("strip")
    candidates += ["llvm-strip", *(f"llvm-strip-{v}" for v in range(20, 10, -1))]
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(
        f"make package: no strip for {arch} shared libraries; install binutils-{arch}-linux-gnu "
        "(apt) or llvm, or set Architectures in template.yaml to this machine's"
    )


def runtime_python(version: str) -> str | None:
    """An interpreter of the runtime's Python version, to precompile with, if one is at hand."""
    candidates = [os.environ.get("PYTHON_RUNTIME", ""), f"python{version}"]
    candidates += sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        exe = shutil.which(candidate) or candidate
        try:
            done = subprocess.run(
                [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True, text=True, timeout=60,
            )
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == version:
            return exe
    return None


# --- dependencies ------------------------------------------------------------------------


def _distributions(site: Path) -> list[tuple[str, Path]]:
    found = []
    for info in site.glob("*.dist-info"):
        headers = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        found.append((headers["Name"], info))
    return found


def _record_paths(site: Path, info: Path) -> set[Path]:
    """Top-level files and directories a distribution installed (from its RECORD)."""
    tops = {info}
    for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
        first = line.split(",", 1)[0].split("/", 1)[0]
        if first and not first.startswith(".."):
            tops.add(site / first)
    return tops


def leave_out_runtime_packages(site: Path) -> list[str]:
    removed = []
    for name, info in _distributions(site):
        if name.lower() in PROVIDED_BY_RUNTIME:
            for path in _record_paths(site, info):
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
            removed.append(name)
    shutil.rmtree(site / "bin", ignore_errors=True)
    return sorted(removed)


def check_boto3_needs(site: Path) -> None:
    """No shipped package may require a boto3 or botocore the runtime does not have."""
    for name, info in _distributions(site):
        headers = HeaderParser().parsestr((info / "METADATA").read_text(encoding="utf-8"))
        for line in headers.get_all("Requires-Dist") or []:
            requirement = Requirement(line)
            if (
                requirement.name.lower() in {"boto3", "botocore"}
                and requirement.marker is None
                and not requirement.specifier.contains(RUNTIME_BOTO3, prereleases=True)
            ):
                raise SystemExit(f"{name} requires {requirement}; the Lambda runtime has {RUNTIME_BOTO3}")


def drop_test_suites(site: Path) -> None:
    """Packages' own test suites (spacy/tests, numpy/*/tests...): never imported at run time."""
    for tests in sorted(p for p in site.glob("*/**/tests") if p.is_dir()):
        shutil.rmtree(tests, ignore_errors=True)


def drop_unused_data(site: Path) -> None:
    for relative in UNUSED_DATA:
        shutil.rmtree(site / relative, ignore_errors=True)


def strip_shared_libraries(site: Path, tool: str) -> int:
    """Strips the extension modules. Not the libraries auditwheel vendored into
    ``<package>.libs/`` (numpy's OpenBLAS): patchelf rewrote their program headers, and
    a stripped copy no longer loads ("ELF load command address/offset not page-aligned");
    they ship without debug information anyway."""
    libraries = [
        p for p in site.rglob("*.so*")
        if p.is_file() and not p.is_symlink() and not p.relative_to(site).parts[0].endswith(".libs")
    ]
    for library in libraries:
        subprocess.run([tool, "--strip-unneeded", str(library)], check=True, capture_output=True)
    return len(libraries)


def precompile(path: Path, python: str | None) -> None:
    """Bytecode next to the sources; ``unchecked-hash`` so Lambda never recompiles
    (a zip's timestamps are not trusted)."""
    if python is None:
        return
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(path)],
        check=True,
    )


def source_only_wheels(requirements: Path) -> list[str]:
    """``--find-links`` arguments for wheels built from the SOURCE_ONLY requirements."""
    wanted = []
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and Requirement(line).name.lower() in SOURCE_ONLY:
            wanted.append(line)
    if not wanted:
        return []
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "-w", str(WHEELS), *wanted],
        check=True,
    )
    for wheel in WHEELS.glob("*.whl"):
        if not wheel.name.endswith("-none-any.whl"):
            wheel.unlink()  # only pure-Python wheels are platform-independent
    return ["--find-links", str(WHEELS)]


def install_dependencies(requirements: Path, target: Target, python: str | None) -> Path:
    """The trimmed site-packages for ``requirements``; cached by content and target."""
    key = hashlib.sha256(
        "\n".join([RECIPE, target.platform, target.python, str(bool(python)), requirements.read_text()]).encode()
    ).hexdigest()[:12]
    site = DEPS / f"{requirements.parent.name}-{target.arch}-py{target.python}-{key}"
    if (site / ".complete").exists():
        return site
    shutil.rmtree(site, ignore_errors=True)
    work = site.with_name(site.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    tool = strip_tool(target.arch)
    subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--only-binary=:all:", "--implementation", "cp",
            "--platform", target.platform, "--python-version", target.python,
            "--target", str(work), "-r", str(requirements), *source_only_wheels(requirements),
        ],
        check=True,
    )
    removed = leave_out_runtime_packages(work)
    check_boto3_needs(work)
    drop_test_suites(work)
    drop_unused_data(work)
    stripped = strip_shared_libraries(work, tool)
    precompile(work, python)
    print(f"  {requirements.relative_to(ROOT)}: left out {', '.join(removed) or 'nothing'}; "
          f"stripped {stripped} shared libraries with {Path(tool).name}")
    (work / ".complete").write_text(key)
    work.rename(site)
    for stale in DEPS.glob(site.name[: -len(key)] + "*"):
        if stale != site:  # an older requirements file's installation
            shutil.rmtree(stale, ignore_errors=True)
    return site


# --- artifacts ---------------------------------------------------------------------------


def _link_tree(source: Path, destination: Path) -> None:
    """Hard links where possible: the cached dependencies are not copied byte by byte."""
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, destination, copy_function=link, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".complete"))


def copy_code(destination: Path, python: str | None) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "requirements.txt")
    for package in OUR_PACKAGES:
        shutil.copytree(ROOT / package, destination / package, ignore=ignore, dirs_exist_ok=True)
        precompile(destination / package, python)


def write_botocore_data(functions: Path) -> None:
    """The lean botocore data (functions/botocore_data.py), from this environment's
    botocore, checked first: the runtime's botocore, which reads it, may be older."""
    from functions import botocore_data

    botocore_data.write(functions / "botocore_data")
    problems = botocore_data.problems(functions / "botocore_data")
    if problems:
        raise SystemExit("make package: lean botocore data not shippable: " + "; ".join(problems))


# The spaCy files the English affix patterns are made from (spaCy's BaseDefaults in
# language.py name the prefixes and suffixes of spacy/lang/punctuation.py).
PATTERN_SOURCES = ("lang/char_classes.py", "lang/punctuation.py", "lang/en/punctuation.py", "lang/en/__init__.py")


def _same_pattern_sources(layer_site: Path | None) -> bool:
    import spacy

    ours = Path(spacy.__file__).parent
    theirs = layer_site / "spacy" if layer_site else None
    return theirs is not None and all(
        (theirs / name).is_file() and (theirs / name).read_bytes() == (ours / name).read_bytes()
        for name in PATTERN_SOURCES
    )


def write_regex_cache(linters: Path, python: str, layer_site: Path | None) -> None:
    """The tokenizer's affix patterns, compiled by the runtime's interpreter into
    ``linters/__pycache__`` as precompile writes bytecode (linters/regex_cache.py).

    The patterns are made with this environment's spaCy (the layer's is for another
    platform); the files they come from must be the layer's, byte for byte, or the
    guard would look for files of other patterns (and compile them itself: slower,
    never wrong), so a difference writes nothing and says so."""
    from spacy.lang.en import English

    from linters.tokenizer import affix_patterns

    if not _same_pattern_sources(layer_site):
        print("  regex cache not written: the layer's spaCy makes its affix patterns from other files")
        return
    patterns = BUILD / "affix-patterns.json"
    patterns.write_text(json.dumps([[p, 0] for p in affix_patterns(English.Defaults).values() if p]))
    script = linters / "regex_cache.py"
    subprocess.run(
        [python, "-S", str(script), "--into", str(linters / "__pycache__"), str(patterns)],
        check=True, stdout=subprocess.DEVNULL,
    )


def build(out: Path = OUT, target: Target | None = None) -> Target:
    target = target or target_of(load_template())
    python = runtime_python(target.python)
    if python is None:
        print(f"make package: no python{target.python} here; the Python files are not precompiled")
    layer_site = None
    for artifact in ARTIFACTS:
        destination = out / artifact.name
        shutil.rmtree(destination, ignore_errors=True)
        destination.mkdir(parents=True)
        if artifact.requirements:
            site = install_dependencies(ROOT / artifact.requirements, target, python)
            _link_tree(site, destination / "python" if artifact.layer else destination)
            if artifact.layer:
                layer_site = site
        if artifact.code:
            copy_code(destination, python)
            write_botocore_data(destination / "functions")
        if artifact.uses_nlp_layer and python is not None:
            write_regex_cache(destination / "linters", python, layer_site)
    return target


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _local_path(uri: Any) -> Path:
    if not isinstance(uri, str):
        raise SystemExit(f"template.yaml: expected a local path to a make package artifact, got {uri!r}")
    return ROOT / uri


def function_sizes(template: dict[str, Any]) -> dict[str, int]:
    """Unzipped bytes each function loads: its CodeUri plus the layers it names."""
    resources = template["Resources"]
    sizes = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        parts = [_local_path(properties.get("CodeUri", template["Globals"]["Function"].get("CodeUri")))]
        for layer in properties.get("Layers", []):
            parts.append(_local_path(resources[layer["Ref"]]["Properties"]["ContentUri"]))
        sizes[name] = sum(tree_size(part) for part in parts)
    return sizes


def over_limits(sizes: dict[str, int]) -> list[str]:
    problems = []
    for name, size in sizes.items():
        limit = min(LIMITS.get(name, LAMBDA_LIMIT), LAMBDA_LIMIT)
        if size > limit:
            problems.append(f"{name}: {size / MIB:.1f} MiB unzipped, over its limit of {limit / MIB:.0f} MiB")
    return problems


SMOKE = """
import json, sys
code, layer, feedback, request = sys.argv[1:5]
sys.path[:0] = [feedback]
import functions.feedback.app  # its own artifact: pydantic and Powertools, no spaCy
import functions.feedback.inbound_sms  # InboundSmsFunction, on the same artifact
import functions.unsubscribe_link.route  # OneClickUnsubscribeFunction, on the same artifact
assert "spacy" not in sys.modules
for name in [m for m in sys.modules if m.split(".")[0] in ("functions", "linters")]:
    del sys.modules[name]
sys.path[:1] = [code, layer]
from linters.engine import check
from linters.models import parse_request
result = check(parse_request(open(request).read()))
assert not any(m.startswith(("spacy.cli", "spacy_lookups_data")) for m in sys.modules)
from linters import regex_cache
assert len(regex_cache.loaded) == 3, "the tokenizer's affix patterns were compiled, not read from the cache"
print(json.dumps({"decision": str(result.decision), "rules": sorted({f.rule for f in result.findings})}))
"""


def smoke(out: Path, python: str) -> int:
    """Import the artifacts with a bare interpreter of the runtime's version (``-S``: no
    site-packages) and judge a sample request: the decision must equal this environment's."""
    from linters.engine import check
    from linters.models import parse_request

    request = ROOT / "events" / "requests" / "01-arthur-winback.json"
    expected = check(parse_request(request.read_text(encoding="utf-8")))
    arguments = [str(out / "guard"), str(out / "nlp-layer" / "python"), str(out / "feedback"), str(request)]
    done = subprocess.run([python, "-S", "-c", SMOKE, *arguments], cwd=BUILD, capture_output=True, text=True)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        return 1
    answer = json.loads(done.stdout.splitlines()[-1])
    wanted = {"decision": str(expected.decision), "rules": sorted({f.rule for f in expected.findings})}
    print(f"smoke test with {python}: {answer}" + ("" if answer == wanted else f", expected {wanted}"))
    return 0 if answer == wanted else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), help="override template.yaml's architecture")
    parser.add_argument("--out", type=Path, default=OUT, help="where the artifacts go (default build/lambda)")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="build for this machine's architecture into build/lambda-<arch> and judge a request with "
        "the artifacts and a local python of the runtime's version",
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    template = load_template()
    target = target_of(template)
    if args.arch:
        target = Target(target.python, PLATFORMS[args.arch])
    if args.smoke:
        target = Target(target.python, platform.machine())
        if args.out == OUT.resolve():
            args.out = BUILD / f"lambda-{target.arch}"
        python = runtime_python(target.python)
        if python is None or target.arch not in PLATFORMS.values():
            print(f"make package: no python{target.python} on a {target.arch} machine here: no smoke test")
            return 1
        build(args.out, target)
        return smoke(args.out, python)
    print(f"make package: python{target.python} on {target.platform} -> {args.out.relative_to(ROOT)}")
    build(args.out, target)
    if args.out != OUT:
        return 0
    sizes = function_sizes(template)
    for name, size in sizes.items():
        limit = min(LIMITS.get(name, LAMBDA_LIMIT), LAMBDA_LIMIT)
        print(f"  {name:<18}{size / MIB:>8.1f} MiB unzipped  (limit {limit / MIB:.0f} MiB)")
    problems = over_limits(sizes)
    for problem in problems:
        print(f"make package: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
