"""Contacts the guard does not send (a rep's call, a postcard, another platform's
message): ``POST /contacts/ask`` before, ``POST /contacts`` after, on the stack's
IAM-authorised HTTP API, and ``sendguard contacts ask|record``.

Entry point: ``functions.contacts.handler.handler`` (``app`` imported with the garbage
collector paused, see ``functions.startup``)."""
