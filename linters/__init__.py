"""sendguard's engine: render, lint and decide on outbound customer messages. No AWS here."""

from __future__ import annotations


def version() -> str:
    """The installed distribution's version; its one source is ``sendguard/__init__.py``."""
    from importlib import metadata

    try:
        return metadata.version("sendguard")
    except metadata.PackageNotFoundError:
        return "0+unknown"  # a source tree without an install (a Lambda artifact)


from . import spacy_loader as _spacy_loader  # noqa: E402

_spacy_loader.install()  # spaCy, once some module imports it, comes without spacy.cli
