"""Regular expressions compiled once per installation, kept as Python keeps bytecode.

spaCy's English tokenizer searches with three large affix patterns (prefixes, suffixes,
infixes: 30,000 characters of Unicode classes). ``re`` compiles them in Python, at
every cold start: about a third of building the pipeline, 0.32 G of the guard's 4.39 G
instructions to its first decision. Python keeps no compiled expression between
processes, so this module keeps one in a file, as a ``.pyc`` keeps a module's bytecode:
the list of codes ``re``'s compiler hands to its matching engine.

- A file is named by a digest of the pattern, its flags and the engine's code format
  (``_sre.MAGIC``, the code size, the byte order, the interpreter's cache tag), so
  another interpreter, or another pattern, never reads it.
- It is written only where Python writes bytecode (not under PYTHONDONTWRITEBYTECODE;
  under PYTHONPYCACHEPREFIX when that is set; else in ``linters/__pycache__``), and only
  after the compiled pattern is checked equal to ``re.compile``'s (pattern objects
  compare their flags and codes).
- It is read back through the engine's own constructor, ``_sre.compile``, which
  validates the codes. A missing, stale or damaged file, or an interpreter without
  these internals (``re._parser``, ``re._compiler``, ``_sre.compile`` are CPython's,
  not a public API), falls back to ``re.compile``: slower, never different.

``scripts/package.py`` writes the files into the Lambda artifacts with the runtime's
interpreter, running this module as a script (``python3.12 -S linters/regex_cache.py
--into DIR PATTERNS.json``): it needs only the standard library.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import marshal
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

try:  # CPython's internals; without them every pattern is compiled by ``re``
    import _sre
    from re import _compiler, _parser
except ImportError:  # pragma: no cover - not CPython 3.11+
    _sre = _compiler = _parser = None  # type: ignore[assignment]

# What a compiled pattern's codes depend on besides the pattern: the engine's format.
_FORMAT = (
    getattr(_sre, "MAGIC", None),
    getattr(_sre, "CODESIZE", None),
    sys.byteorder,
    sys.implementation.cache_tag,
)
# Patterns read from a cache file in this process (tests and the package's smoke test ask).
loaded: set[str] = set()
# Folders this process could not write to (a read-only install): not tried again.
_unwritable: set[Path] = set()


def cache_dir() -> Path | None:
    """Where Python would put this module's bytecode (honouring PYTHONPYCACHEPREFIX)."""
    if sys.implementation.cache_tag is None:
        return None
    return Path(importlib.util.cache_from_source(__file__)).parent


def cache_file(directory: Path, pattern: str, flags: int) -> Path:
    digest = hashlib.sha256(repr((pattern, int(flags), _FORMAT)).encode("utf-8", "surrogatepass")).hexdigest()
    return directory / f"regex-{digest[:32]}.{sys.implementation.cache_tag}.bin"


def compile_cached(pattern: str, flags: int = 0, directory: Path | None = None) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from the cache file when there is a good one."""
    flags = int(flags)  # a RegexFlag cannot be marshalled
    directory = directory or cache_dir()
    if directory is None or _sre is None:
        return re.compile(pattern, flags)
    path = cache_file(directory, pattern, flags)
    found = _read(path, pattern, flags)
    if found is not None:
        loaded.add(pattern)
        return found
    compiled = re.compile(pattern, flags)
    if not sys.dont_write_bytecode:
        write(pattern, flags, directory, compiled)
    return compiled


def _read(path: Path, pattern: str, flags: int) -> re.Pattern[str] | None:
    try:
        stored = marshal.loads(path.read_bytes())
        kept_format, kept_pattern, kept_flags, arguments = stored
        if kept_format != _FORMAT or kept_pattern != pattern or kept_flags != flags:
            return None
        compiled = _sre.compile(pattern, *arguments)
    except Exception:  # whatever is wrong with a file, ``re`` compiles instead
        return None  # no file, another format, codes the engine refuses, numbers out of range
    return compiled if isinstance(compiled, re.Pattern) else None


def _engine_arguments(pattern: str, flags: int) -> tuple[Any, ...]:
    """What ``re._compiler.compile`` passes to ``_sre.compile`` after the pattern."""
    parsed = _parser.parse(pattern, flags)
    codes = [int(code) for code in _compiler._code(parsed, flags)]
    group_index = dict(parsed.state.groupdict)
    index_group: list[str | None] = [None] * parsed.state.groups
    for name, index in group_index.items():
        index_group[index] = name
    return (flags | parsed.state.flags, codes, parsed.state.groups - 1, group_index, tuple(index_group))


def write(pattern: str, flags: int, directory: Path, expected: re.Pattern[str] | None = None) -> Path | None:
    """Write the cache file of ``pattern``; None when it cannot be (read-only, say).

    The temporary file is made first, so a folder that cannot be written costs no
    compile; such a folder is remembered for the life of the process."""
    flags = int(flags)
    if directory in _unwritable:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".regex-")
    except OSError:
        _unwritable.add(directory)
        return None
    try:
        with os.fdopen(handle, "wb") as out:
            arguments = _engine_arguments(pattern, flags)
            if not _same_pattern(_sre.compile(pattern, *arguments), expected or re.compile(pattern, flags), arguments):
                return None  # this interpreter's compiler is not what this module expects
            out.write(marshal.dumps((_FORMAT, pattern, flags, arguments)))
        # Readable by every user, as an installed .pyc is: Lambda runs the function as a
        # user other than the one who built the artifact (mkstemp makes files 0600).
        os.chmod(temporary, 0o644)
        path = cache_file(directory, pattern, flags)
        os.replace(temporary, path)  # a reader sees a whole file or none
    except (OSError, ValueError, TypeError, RuntimeError, AttributeError, OverflowError):
        return None
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def _same_pattern(ours: re.Pattern[str], expected: re.Pattern[str], arguments: tuple[Any, ...]) -> bool:
    """Pattern objects compare their flags and codes; the groups' names and numbers too."""
    index_group = [None] * (expected.groups + 1)
    for name, index in expected.groupindex.items():
        index_group[index] = name
    return (
        ours == expected
        and ours.groups == expected.groups
        and ours.groupindex == expected.groupindex
        and tuple(arguments[4]) == tuple(index_group)
    )


def main(argv: list[str] | None = None) -> int:
    """Write cache files for the patterns in a JSON list of [pattern, flags] pairs."""
    parser = argparse.ArgumentParser(description="Write compiled-regex cache files (see linters/regex_cache.py).")
    parser.add_argument("--into", type=Path, required=True, help="the folder (a package's __pycache__)")
    parser.add_argument("patterns", type=Path, help="a JSON list of [pattern, flags] pairs")
    args = parser.parse_args(argv)
    pairs = json.loads(args.patterns.read_text(encoding="utf-8"))
    written = [write(pattern, flags, args.into) for pattern, flags in pairs]
    if None in written:
        print(f"regex_cache: {written.count(None)} of {len(pairs)} patterns not written", file=sys.stderr)
        return 1
    print(f"regex_cache: {len(written)} patterns written to {args.into}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
