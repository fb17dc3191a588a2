"""linters.regex_cache and linters.tokenizer: a pattern read from its cache file is the
pattern ``re.compile`` makes (pattern objects compare their flags and codes), anything
wrong with a file falls back to ``re.compile``, and the pipeline's tokenizer is spaCy's."""

from __future__ import annotations

import json
import marshal
import re
import subprocess
import sys
from pathlib import Path

import pytest

from linters import regex_cache
from linters.regex_cache import cache_file, compile_cached

# Patterns with what the engine's codes encode: groups (named, numbered, lookaround),
# Unicode and negated classes, repeats, alternation, flags, and spaCy's own shapes.
PATTERNS = [
    (r"^[\[\(\"'“‘«]", 0),
    (r"(?<=[0-9])(?:km|kg|%)$|(?<=[a-zà-ÿ])\.$", 0),
    (r"(?P<word>\w+)-(?P=word)", 0),
    (r"(?i)dear\s+(?:mr|mrs|ms)\.?\s+(\w+)", 0),
    (r"^\s*(hi|hello|dear)\b", re.MULTILINE | re.IGNORECASE),
    (r"[^\x00-\x7f]{2,}|[\u0590-\u05ff\u0600-\u06ff]+", 0),
    (r"(a|b)*?c{2,5}(?!d)", re.DOTALL),
    (r"\d{1,3}(?:,\d{3})*(?:\.\d+)?", re.ASCII),
]
TEXTS = ["(Hello", "5km", "wow-wow", "Dear Mrs. Smith", "  hi\nHELLO there", "שלום ok", "ababcccd", "1,234.5"]


@pytest.fixture
def writing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


@pytest.fixture(autouse=True)
def fresh_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regex_cache, "loaded", set())


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_a_cached_pattern_is_the_one_re_compiles(tmp_path: Path, writing: None, pattern: str, flags: int) -> None:
    first = compile_cached(pattern, flags, tmp_path)
    assert cache_file(tmp_path, pattern, flags).is_file() and pattern not in regex_cache.loaded
    second = compile_cached(pattern, flags, tmp_path)
    assert pattern in regex_cache.loaded
    expected = re.compile(pattern, flags)
    assert first == second == expected  # flags, pattern and the engine's codes
    assert second.groupindex == expected.groupindex and second.groups == expected.groups
    for text in TEXTS:
        assert [m.span() for m in second.finditer(text)] == [m.span() for m in expected.finditer(text)]


def test_nothing_is_written_where_python_writes_no_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert compile_cached(r"\bdear\b", 0, tmp_path) == re.compile(r"\bdear\b")
    assert list(tmp_path.iterdir()) == []


def _damaged(path: Path) -> dict[str, bytes]:
    stored = marshal.loads(path.read_bytes())
    kept_format, pattern, flags, (full_flags, codes, groups, group_index, index_group) = stored
    bad_codes = list(codes)
    bad_codes[1] = 10**6  # a jump far outside the code: the engine must refuse it
    return {
        "empty": b"",
        "truncated": path.read_bytes()[:40],
        "not marshal": b"\x00garbage\xff" * 10,
        "another format": marshal.dumps((("other", 4, "little", "cpython-99"), pattern, flags, stored[3])),
        "another pattern": marshal.dumps((kept_format, "other", flags, stored[3])),
        "bad codes": marshal.dumps((kept_format, pattern, flags, (full_flags, bad_codes, groups, group_index, index_group))),
        "wrong shape": marshal.dumps([1, 2, 3]),
        "numbers out of range": marshal.dumps((kept_format, pattern, flags, (2**70, codes, groups, group_index, index_group))),
        "codes out of range": marshal.dumps((kept_format, pattern, flags, (full_flags, [2**40, *codes], groups, group_index, index_group))),
    }


def test_a_damaged_or_foreign_file_falls_back_to_re(tmp_path: Path, writing: None) -> None:
    pattern = r"(?<=[a-z])\.(?=[A-Z])|\s+"
    path = cache_file(tmp_path, pattern, 0)
    compile_cached(pattern, 0, tmp_path)
    for name, data in _damaged(path).items():
        path.write_bytes(data)
        regex_cache.loaded.clear()
        assert compile_cached(pattern, 0, tmp_path) == re.compile(pattern), name
        assert pattern not in regex_cache.loaded, name


def test_a_read_only_folder_only_costs_the_compile(
    tmp_path: Path, writing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    compiled_by_us = []
    monkeypatch.setattr(regex_cache, "_engine_arguments", lambda *a: compiled_by_us.append(a))
    assert compile_cached(r"x+", 0, blocked) == re.compile(r"x+")
    assert compile_cached(r"y+", 0, blocked) == re.compile(r"y+")
    assert compiled_by_us == []  # no second compile for a file that cannot be written
    assert blocked in regex_cache._unwritable


def test_files_are_readable_by_every_user_and_no_temporary_is_left(tmp_path: Path, writing: None) -> None:
    """Lambda runs the function as another user than the one who built the artifact."""
    compile_cached(r"(?P<a>x)|(?P<b>y)", 0, tmp_path)
    [written] = tmp_path.iterdir()
    assert written.name.startswith("regex-") and written.stat().st_mode & 0o777 == 0o644


def test_a_write_whose_groups_differ_from_re_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = regex_cache._engine_arguments

    def reversed_names(pattern: str, flags: int) -> tuple:
        arguments = real(pattern, flags)
        return (*arguments[:4], tuple(reversed(arguments[4])))

    monkeypatch.setattr(regex_cache, "_engine_arguments", reversed_names)
    assert regex_cache.write(r"(?P<a>x)|(?P<b>y)", 0, tmp_path) is None
    assert list(tmp_path.iterdir()) == []
    pattern = compile_cached(r"(?P<a>x)|(?P<b>y)", 0, tmp_path)
    assert pattern.match("y").lastgroup == "b"


def test_the_script_writes_files_the_module_reads(tmp_path: Path) -> None:
    """As scripts/package.py runs it: a bare interpreter, the standard library only."""
    pairs = tmp_path / "patterns.json"
    pairs.write_text(json.dumps([[p, f] for p, f in PATTERNS]))
    script = Path(regex_cache.__file__)
    done = subprocess.run(
        [sys.executable, "-S", str(script), "--into", str(tmp_path / "cache"), str(pairs)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    for pattern, flags in PATTERNS:
        assert compile_cached(pattern, flags, tmp_path / "cache") == re.compile(pattern, flags)
    assert regex_cache.loaded == {p for p, _ in PATTERNS}


def test_the_tokenizers_patterns_are_spacys() -> None:
    """linters.tokenizer joins the affixes as spacy.util does; the compiled patterns equal spaCy's."""
    from spacy import util
    from spacy.lang.en import English

    from linters.nlp import pipeline
    from linters.tokenizer import affix_patterns

    defaults = English.Defaults
    ours = affix_patterns(defaults)
    assert ours["prefix"] == util.compile_prefix_regex(defaults.prefixes).pattern
    assert ours["suffix"] == util.compile_suffix_regex(defaults.suffixes).pattern
    assert ours["infix"] == util.compile_infix_regex(defaults.infixes).pattern
    tokenizer = pipeline().tokenizer
    assert tokenizer.prefix_search.__self__ == util.compile_prefix_regex(defaults.prefixes)
    assert tokenizer.suffix_search.__self__ == util.compile_suffix_regex(defaults.suffixes)
    assert tokenizer.infix_finditer.__self__ == util.compile_infix_regex(defaults.infixes)


def test_a_language_without_affixes_gets_none() -> None:
    class Bare:
        prefixes = suffixes = infixes = None

    assert set(__import__("linters.tokenizer").tokenizer.affix_patterns(Bare).values()) == {None}
