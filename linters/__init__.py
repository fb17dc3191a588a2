"""sendguard's engine: render, lint and decide on outbound customer messages. No AWS here."""

__version__ = "0.1.0"
