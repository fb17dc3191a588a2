"""SG602 no-consent: Sends marketing on a channel the person has not agreed to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from ...findings import Action, Hit
from ...message import Message
from ...models import Channel, Purpose
from ...registry import Settings, rule


class ConsentSettings(Settings):
    consent_mode: Literal["opt_in", "opt_out"] = Field(
        "opt_in",
        description=(
            "email marketing: 'opt_in' needs consent.email_marketing true; 'opt_out' "
            "allows it unless consent.email_marketing is false"
        ),
    )
    push_consent_mode: Literal["opt_in", "opt_out"] = Field(
        "opt_in",
        description="push marketing, the same way, from consent.push_marketing",
    )
    # Direct mail is lawful without prior consent in most places (GDPR recital 47's
    # legitimate interest, the US and UK mail preference services): a refusal stops it.
    postal_consent_mode: Literal["opt_in", "opt_out"] = Field(
        "opt_out",
        description="postal marketing, the same way, from consent.postal_marketing",
    )
    in_app_consent_mode: Literal["opt_in", "opt_out"] = Field(
        "opt_in",
        description="in-app marketing, the same way, from consent.in_app_marketing",
    )


_CONSENT_FIELD = {
    Channel.EMAIL: "email_marketing",
    Channel.SMS: "sms_marketing",
    Channel.VOICE: "voice_marketing",
    Channel.PUSH: "push_marketing",
    Channel.POSTAL: "postal_marketing",
    Channel.IN_APP: "in_app_marketing",
}


@rule(
    "SG602", "no-consent", Action.BLOCK, ConsentSettings,
    reads=("request.channel", "request.purpose", "customer.consent"),
)
def find_no_consent(message: Message, settings: ConsentSettings) -> Iterator[Hit]:
    """Sends marketing on a channel the person has not agreed to.

    Catches: a marketing SMS or voice call without `consent.sms_marketing` /
    `consent.voice_marketing` set to true (always explicit opt-in); marketing email
    without `consent.email_marketing` true under `consent_mode = "opt_in"` (the
    default), or with it false under `"opt_out"`; marketing push the same way with
    `consent.push_marketing` and `push_consent_mode`; marketing in-app messages the
    same way with `consent.in_app_marketing` and `in_app_consent_mode` (opt-in by
    default); marketing post (`postal`: a postcard, a catalogue) unless
    `consent.postal_marketing` is false, under `postal_consent_mode = "opt_out"` (the
    default: direct mail needs no prior consent in most places, but an opt-out is
    kept). A call a person makes (`automated: false`) needs voice consent like any
    other. Transactional and service
    messages are not marketing and need no marketing consent. Without a customer
    record nothing is judged (template linting has no recipient); at send time the
    guard, a release and `/check/stored` judge marketing with no record at all against
    an empty one, so it is stopped here.

    Why it hurts: a promotional text nobody asked for is the fastest way to an
    opt-out, and in many places (TCPA, PECR, CASL) it is unlawful.

    Example: {"channel": "sms", "purpose": "marketing", "customer": {"consent":
    {"email_marketing": true}}}

    Fix: ask for consent on that channel first, or use a channel the person agreed to.
    """
    customer = message.customer
    if customer is None or message.request.purpose != Purpose.MARKETING:
        return
    channel = message.request.channel
    name = _CONSENT_FIELD[channel]
    given = getattr(customer.consent, name)
    mode = {
        Channel.EMAIL: settings.consent_mode,
        Channel.PUSH: settings.push_consent_mode,
        Channel.POSTAL: settings.postal_consent_mode,
        Channel.IN_APP: settings.in_app_consent_mode,
    }.get(channel, "opt_in")
    if given is True or (mode == "opt_out" and given is None):
        return
    state = "refused (false)" if given is False else "not given"
    need = "explicit opt-in" if mode == "opt_in" else "no refusal"
    yield Hit(f"marketing {channel} needs {need}; consent.{name} is {state}")
