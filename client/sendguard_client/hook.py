"""Opt-in botocore hook: existing ``sesv2.send_email`` and ``sns.publish`` calls go to the outbox.

``install_hook(client, queue_url=...)`` registers two handlers on that one client:

- ``before-parameter-build.<service>.<Operation>`` keeps the call's parameters;
- ``before-call.<service>.<Operation>`` turns them into send requests, puts them on
  the outbox, and short-circuits the call with a response of the operation's shape
  (``{"MessageId": <request id>}``), so no request reaches SES or SNS.

Only this client changes; other clients (including the guard's own) send normally.
Mapping and exemptions are documented in docs/aws.md, "Producer integration".
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from typing import Any

from sendguard_client.client import OutboxError, send

HOOK_ID = "sendguard-outbox"
_PARAMS_KEY = "sendguard_params"
# Tags (SES) and message attributes (SNS) with these names become request fields.
TAG_FIELDS = ("purpose", "campaign", "trigger", "customer_id")
SMS_TYPE_PURPOSE = {"Transactional": "transactional", "Promotional": "marketing"}

Converter = Callable[[dict[str, Any]], list[dict[str, Any]] | None]


def _text(block: Any) -> str | None:
    return block.get("Data") if isinstance(block, dict) else None


def _ses_template(content: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(template, data) of a SendEmail ``Content``; raw MIME cannot be checked."""
    if "Simple" in content:
        simple = content["Simple"]
        body = simple.get("Body", {})
        template = {
            "subject": _text(simple.get("Subject")),
            "text": _text(body.get("Text")),
            "html": _text(body.get("Html")),
        }
        return {k: v for k, v in template.items() if v is not None}, {}
    if "Template" in content:
        stored = content["Template"]
        data = json.loads(stored.get("TemplateData") or "{}")
        inline = stored.get("TemplateContent")
        if inline:
            template = {
                "subject": inline.get("Subject"),
                "text": inline.get("Text"),
                "html": inline.get("Html"),
            }
            return {k: v for k, v in template.items() if v is not None}, data
        return {"name": stored["TemplateName"]}, data
    raise OutboxError("Content.Raw: a raw MIME message cannot be checked; use Simple or Template content")


def requests_from_send_email(params: dict[str, Any]) -> list[dict[str, Any]]:
    """One send request per recipient of an SESv2 SendEmail call."""
    template, data = _ses_template(params.get("Content", {}))
    destination = params.get("Destination", {})
    recipients = [
        *destination.get("ToAddresses", []),
        *destination.get("CcAddresses", []),
        *destination.get("BccAddresses", []),
    ]
    if not recipients:
        raise OutboxError("Destination.ToAddresses: no recipient")
    tags = {t["Name"]: t["Value"] for t in params.get("EmailTags", []) if t.get("Name") in TAG_FIELDS}
    base: dict[str, Any] = {"channel": "email", "template": template, **tags}
    if data:
        base["data"] = data
    if params.get("FromEmailAddress"):
        base["from"] = params["FromEmailAddress"]
    return [{**base, "to": to} for to in recipients]


def requests_from_publish(params: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The send request of an SNS Publish call; None (pass through) for topic fan-out."""
    if params.get("PhoneNumber"):
        channel, to = "sms", params["PhoneNumber"]
    elif ":endpoint/" in params.get("TargetArn", ""):
        channel, to = "push", params["TargetArn"]
    else:
        # A topic publish reaches subscribers, not one customer the guard could judge.
        return None
    text = params.get("Message", "")
    if params.get("MessageStructure") == "json":
        text = json.loads(text).get("default", "")
    attributes = params.get("MessageAttributes", {})
    request: dict[str, Any] = {"channel": channel, "to": to, "template": {"text": text}}
    sms_type = attributes.get("AWS.SNS.SMS.SMSType", {}).get("StringValue")
    if sms_type in SMS_TYPE_PURPOSE:
        request["purpose"] = SMS_TYPE_PURPOSE[sms_type]
    for name in TAG_FIELDS:
        if name in attributes and "StringValue" in attributes[name]:
            request[name] = attributes[name]["StringValue"]
    return [request]


CONVERTERS: dict[tuple[str, str], Converter] = {
    ("sesv2", "SendEmail"): requests_from_send_email,
    ("sns", "Publish"): requests_from_publish,
}


def _short_circuit(message_id: str) -> tuple[Any, dict[str, Any]]:
    from botocore.awsrequest import AWSResponse

    parsed = {"MessageId": message_id, "ResponseMetadata": {"HTTPStatusCode": 200, "RetryAttempts": 0}}
    return AWSResponse(None, 200, {}, None), parsed


def install_hook(
    client: Any,
    *,
    queue_url: str | None = None,
    sqs: Any = None,
    defaults: dict[str, Any] | None = None,
) -> None:
    """Route this sesv2 or sns client's sends to the outbox.

    ``defaults`` fills request fields the call does not give (for example
    ``{"purpose": "transactional", "campaign": "orders"}``); tags and attributes win.
    """
    service = client.meta.service_model.service_id.hyphenize()
    operations = [op for (svc, op) in CONVERTERS if svc == service]
    if not operations:
        raise OutboxError(f"client: the hook supports sesv2 and sns clients, not {service}")
    outbox = sqs
    fill = dict(defaults or {})

    def keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context[_PARAMS_KEY] = copy.deepcopy(params)

    def enqueue(model: Any, context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        nonlocal outbox
        requests = CONVERTERS[(service, model.name)](context.get(_PARAMS_KEY, {}))
        if requests is None:
            return None
        if outbox is None:
            import boto3

            outbox = boto3.client("sqs")
        first = str(uuid.uuid4())
        for index, request in enumerate(requests):
            request_id = first if index == 0 else f"{first}-{index}"
            send({"id": request_id, **fill, **request}, queue_url=queue_url, sqs=outbox)
        return _short_circuit(first)

    for operation in operations:
        client.meta.events.register(
            f"before-parameter-build.{service}.{operation}", keep_params, unique_id=f"{HOOK_ID}-params"
        )
        client.meta.events.register(
            f"before-call.{service}.{operation}", enqueue, unique_id=f"{HOOK_ID}-call"
        )


def uninstall_hook(client: Any) -> None:
    """Undo ``install_hook``: the client sends directly again."""
    service = client.meta.service_model.service_id.hyphenize()
    for svc, operation in CONVERTERS:
        if svc == service:
            client.meta.events.unregister(
                f"before-parameter-build.{service}.{operation}", unique_id=f"{HOOK_ID}-params"
            )
            client.meta.events.unregister(f"before-call.{service}.{operation}", unique_id=f"{HOOK_ID}-call")
