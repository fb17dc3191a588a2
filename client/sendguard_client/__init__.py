"""sendguard producer client: put send requests on the guard's outbox.

Apps use this instead of calling SES or SNS directly, so every customer message
passes the guard. It needs only boto3 (no spaCy, no engine), so it is cheap to add
to any service::

    from sendguard_client import send

    send({
        "channel": "email", "purpose": "transactional", "to": "ada@example.com",
        "from": "orders@northwind.example",
        "template": {"name": "receipt"}, "data": {"order": "1042"},
        "customer_id": "c-1042",
    })

``install_hook(client)`` instead turns an existing boto3 ``sesv2`` client's
``send_email`` or ``sns`` client's ``publish`` into outbox requests (see hook.py).

Contacts the guard does not send (a rep's call, a postcard, another platform's
message) are asked about before and recorded after (see contacts.py)::

    from sendguard_client import ask, record

    answer = ask({"channel": "voice", "automated": False, "purpose": "marketing",
                  "customer_id": "c-1042", "to": "+13125550142"})
    if answer["decision"] == "allow":
        ...  # make the call, then:
        record({"id": "call-8812", "channel": "voice", "purpose": "marketing",
                "customer_id": "c-1042", "at": "2026-11-20T15:10:00Z", "by": "rep:jlee"})
"""

from sendguard_client.client import OutboxError, build_message, send
from sendguard_client.contacts import ApiUnavailable, ContactConflict, ContactError, ask, record
from sendguard_client.hook import install_hook, uninstall_hook

__all__ = [
    "ApiUnavailable",
    "ContactConflict",
    "ContactError",
    "OutboxError",
    "ask",
    "build_message",
    "install_hook",
    "record",
    "send",
    "uninstall_hook",
]
