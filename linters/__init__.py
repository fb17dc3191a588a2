"""sendguard's engine: render, lint and decide on outbound customer messages. No AWS here."""

__version__ = "0.1.0"

from linters import spacy_loader as _spacy_loader

_spacy_loader.install()  # spaCy, once some module imports it, comes without spacy.cli
