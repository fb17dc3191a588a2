"""Voice delivery: an automated call through AWS End User Messaging SMS and Voice v2.

The guard speaks a ``voice`` request's checked text with ``SendVoiceMessage`` (boto3
client ``pinpoint-sms-voice-v2``), which reads it with Amazon Polly on a call from the
stack's origination identity. Everything around the call is the other channels': the
delivery record decides whether it may be placed (at most once per request), the
ledger records the contact, holds and quarantine work the same way.

- **Body**: the checked text exactly, as ``TEXT`` (at most 3,000 characters), or as
  ``SSML`` when it is one ``<speak>`` element (at most 6,000 characters, tags
  included). SSML must be well-formed and may hold no DOCTYPE, entity declaration or
  processing instruction: what is spoken is what was judged, markup and all.
- **Voice**: ``voice_id`` of the policy's ``[voice]`` table (``linters.policy.VoiceDelivery``),
  one of the Polly voices the service model lists; absent, the service's default.
- **From**: the origination identity (a phone number id ``phone-...`` or a pool id
  ``pool-...``) in ``VOICE_ORIGINATION_IDENTITY``, which template.yaml sets from its
  ``VoiceOriginationId`` parameter; the guard's role may call from that identity only.
- **Tag**: the decision id travels in the call's ``Context`` (``sendguard-decision``),
  as it does in an email's tags, so event records name the decision.

Every refusal before the call is a ``RequestError`` naming the field: the delivery
record then knows that nothing was sent (``delivery.certainly_not_sent``). So is a
parameter botocore refuses against the service model, which happens before any request
leaves. A call the service refuses with a 4xx was not placed either; a 5xx or a timeout
may hide a placed call, and the delivery record never places it again.

A call placed by Polly is a machine speaking, whoever wrote the script: a request that
says ``automated: false`` is refused rather than delivered unjudged by SG303.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from xml.etree import ElementTree

from botocore.exceptions import ParamValidationError

from functions import aws, lookups
from linters.models import RequestError, SendRequest

SERVICE = "pinpoint-sms-voice-v2"
ORIGINATION_IDENTITY = "VOICE_ORIGINATION_IDENTITY"  # environment variable (template.yaml)
CONTEXT_KEY = "sendguard-decision"
# The service's limits (SendVoiceMessage, MessageBodyTextType): TEXT 3,000 characters,
# SSML 6,000 with its tags.
MAX_TEXT, MAX_SSML = 3000, 6000
# A body that opens with <speak, or with a declaration that would come before one, is
# SSML (and checked as such); anything else is read out as it is written.
_SSML_START = re.compile(r"\s*<(?:speak[\s>/]|[!?])")
# A DOCTYPE (and with it entity declarations), a comment-like declaration or a
# processing instruction: nothing a script needs, and the way to expand or hide text.
_DECLARATION = re.compile(r"<[!?]")
# Polly's own tags (<amazon:effect>) use a prefix the script never declares.
_WRAPPER = '<sendguard-script xmlns:amazon="urn:sendguard:amazon">{}</sendguard-script>'


def message_body(text: str) -> tuple[str, str]:
    """(MessageBodyTextType, MessageBody) for a checked voice text; RequestError when the
    service could not speak it as it is."""
    if not text.strip():
        raise RequestError("template.text", "a voice call needs words to speak")
    if not _SSML_START.match(text):
        if len(text) > MAX_TEXT:
            raise RequestError("template.text", f"{len(text)} characters; a voice text is at most {MAX_TEXT}")
        return "TEXT", text
    if len(text) > MAX_SSML:
        raise RequestError("template.text", f"{len(text)} characters; SSML is at most {MAX_SSML}, tags included")
    _check_ssml(text)
    return "SSML", text


def _check_ssml(text: str) -> None:
    if _DECLARATION.search(text):
        raise RequestError("template.text", "SSML may not hold a DOCTYPE, declaration or processing instruction")
    try:
        root = ElementTree.fromstring(_WRAPPER.format(text))
    except ElementTree.ParseError as exc:
        raise RequestError("template.text", f"SSML that is not well-formed XML ({exc})") from None
    outside = (root.text or "") + "".join(child.tail or "" for child in root)
    if len(root) != 1 or root[0].tag != "speak" or outside.strip():
        raise RequestError("template.text", "SSML is one <speak> element and nothing outside it")


@cache
def _voices() -> frozenset[str]:
    """The Polly voices SendVoiceMessage takes, from the service model botocore ships."""
    model = aws.send_client(SERVICE).meta.service_model.operation_model("SendVoiceMessage")
    return frozenset(model.input_shape.members["VoiceId"].enum)


def _voice_id() -> str | None:
    wanted = lookups.current_policy().voice.voice_id
    if wanted is None:
        return None
    voice = wanted.upper()
    if voice not in _voices():
        raise RequestError("voice.voice_id", f"{wanted!r} is not a voice SendVoiceMessage speaks")
    return voice


def call_parameters(request: SendRequest, text: str, tag: str) -> dict[str, Any]:
    """The SendVoiceMessage parameters for a checked voice request."""
    if not request.automated:
        raise RequestError("automated", "a call the guard places is spoken by Amazon Polly: it is automated")
    identity = aws.optional_setting(ORIGINATION_IDENTITY)
    if identity is None:
        raise RequestError(
            ORIGINATION_IDENTITY, "no origination identity to call from (template.yaml: VoiceOriginationId)"
        )
    kind, body = message_body(text)
    parameters: dict[str, Any] = {
        "DestinationPhoneNumber": request.to,
        "OriginationIdentity": identity,
        "MessageBody": body,
        "MessageBodyTextType": kind,
        "Context": {CONTEXT_KEY: tag},
    }
    voice = _voice_id()
    if voice is not None:
        parameters["VoiceId"] = voice
    return parameters


def send_voice(request: SendRequest, text: str, tag: str) -> str:
    """Place the call; returns the service's MessageId. Never retried by the client
    (``aws.send_client``): a retry after a timeout may be a second call."""
    parameters = call_parameters(request, text, tag)
    client = aws.send_client(SERVICE)
    try:
        return client.send_voice_message(**parameters)["MessageId"]
    except ParamValidationError as exc:
        # botocore checks the parameters against the model before anything is sent.
        raise RequestError("to" if "DestinationPhoneNumber" in str(exc) else "", str(exc)) from None


def reset() -> None:
    """Forget the voices read from the model (``aws.reset`` forgets the client)."""
    _voices.cache_clear()
