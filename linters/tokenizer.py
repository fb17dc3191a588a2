"""spaCy's English tokenizer, built as ``English()`` builds it, its affix patterns compiled
from the cache (``linters.regex_cache``): compiling them is a third of the pipeline's
cold start.

``english_tokenizer`` is spaCy's own ``tokenizer_factory`` (``spacy/language.py``) with
``compile_cached`` in place of ``re.compile``. ``affix_patterns`` joins the language's
prefixes, suffixes and infixes as ``spacy.util.compile_prefix_regex`` and its siblings
do; ``tests/test_tokenizer.py`` checks that the patterns are spaCy's, so a spaCy that
joined them otherwise fails a test instead of tokenizing differently.
"""

from __future__ import annotations

from typing import Any

from spacy.language import Language
from spacy.tokenizer import Tokenizer

from .regex_cache import compile_cached


def affix_patterns(defaults: Any) -> dict[str, str | None]:
    """The prefix, suffix and infix expressions of a language's ``Defaults`` (None: none)."""

    def joined(entries: Any, template: str) -> str | None:
        if not entries:
            return None
        return "|".join(template.format(piece) for piece in entries if piece.strip())

    return {
        "prefix": joined(defaults.prefixes, "^{}"),
        "suffix": joined(defaults.suffixes, "{}$"),
        "infix": joined(defaults.infixes, "{}"),
    }


def english_tokenizer(nlp: Language) -> Tokenizer:
    """The tokenizer ``English()`` makes, for ``English(create_tokenizer=...)``."""
    defaults = nlp.Defaults
    patterns = affix_patterns(defaults)
    compiled = {kind: compile_cached(p) if p is not None else None for kind, p in patterns.items()}
    return Tokenizer(
        nlp.vocab,
        rules=defaults.tokenizer_exceptions,
        prefix_search=compiled["prefix"].search if compiled["prefix"] else None,
        suffix_search=compiled["suffix"].search if compiled["suffix"] else None,
        infix_finditer=compiled["infix"].finditer if compiled["infix"] else None,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )
