"""Import spaCy without its command line.

``spacy/__init__.py`` imports ``spacy.cli.info`` only to re-export ``spacy.info``, and
that pulls in every CLI command and their libraries (typer, weasel, requests, click,
rich, jinja2...): about a third of ``import spacy``, and of a cold start. sendguard
never runs the spaCy CLI. So while spaCy's package runs its ``__init__``, ``spacy.cli``
and ``spacy.cli.info`` are placeholders; they are removed right after, so a later
``import spacy.cli`` (or a call of ``spacy.info``) imports the real modules as usual.

``linters/__init__.py`` installs the hook; it does nothing until something imports
spaCy (the feedback function never does), and removes itself then. If spaCy's layout
is not what this expects, spaCy is imported normally.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

_CLI = "spacy.cli"
_CLI_INFO = "spacy.cli.info"


def _real_info(*args: Any, **kwargs: Any) -> Any:
    """``spacy.info``: imports the real CLI on first call."""
    return importlib.import_module(_CLI_INFO).info(*args, **kwargs)


class _SpacyWithoutCli(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the real ``spacy`` package and runs its ``__init__`` with the CLI stubbed."""

    def __init__(self) -> None:
        self._loader: Any = None

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname != "spacy":
            return None
        uninstall()
        spec = importlib.util.find_spec("spacy")
        if spec is None or spec.loader is None or not spec.submodule_search_locations:
            return spec
        cli_dir = Path(next(iter(spec.submodule_search_locations))) / "cli"
        if not (cli_dir / "info.py").is_file() or _CLI in sys.modules:
            return spec
        self._loader, self._cli_dir = spec.loader, cli_dir
        spec.loader = self
        return spec

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = module.__spec__.loader = self._loader  # as if we had never been here
        cli = ModuleType(_CLI)
        cli.__path__ = [str(self._cli_dir)]
        info = ModuleType(_CLI_INFO)
        info.info = _real_info  # type: ignore[attr-defined]
        sys.modules[_CLI], sys.modules[_CLI_INFO] = cli, info
        try:
            self._loader.exec_module(module)
        finally:
            for name, stub in ((_CLI_INFO, info), (_CLI, cli)):
                if sys.modules.get(name) is stub:
                    del sys.modules[name]
            if getattr(module, "cli", None) is cli:
                delattr(module, "cli")
        module.info = _real_info  # type: ignore[attr-defined]


_finder = _SpacyWithoutCli()


def install() -> None:
    """Take effect at the next ``import spacy``, unless spaCy is already imported."""
    if "spacy" not in sys.modules and _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
