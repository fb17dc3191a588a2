"""SG104 reads personal-occasion greetings in Spanish, German, French, Italian,
Portuguese and Dutch as it reads "happy birthday" (issue 29, item 4): a greeting for the
reader's own occasion needs consent to personalization; marketing about an occasion in
general ("gift ideas for birthdays") is not a greeting in any language."""

from __future__ import annotations

import pytest

from linters.engine import check
from linters.models import parse_request

GREETINGS = [
    "¡Feliz cumpleaños, Ana! Te regalamos un 15% en tu próxima compra.",
    "Alles Gute zum Geburtstag, Ana! Ihr Geschenk wartet im Kundenkonto.",
    "Herzlichen Glückwunsch zum Geburtstag! Heute gibt es Kaffee aufs Haus.",
    "Joyeux anniversaire Ana ! Un cadeau vous attend en boutique.",
    "Buon compleanno, Ana! Ecco un regalo per te.",
    "Tanti auguri di buon compleanno, Ana!",
    "Parabéns pelo seu aniversário, Ana! Frete grátis hoje.",
    "Feliz aniversário, Ana! Um presente espera por você.",
    "Gefeliciteerd met je verjaardag, Ana! Je cadeau staat klaar.",
]
NOT_GREETINGS = [
    "Geschenkideen zum Geburtstag: jetzt in unserem Shop stöbern.",
    "Tanti auguri di buon Natale da tutto il team.",
    "Ideas de regalo para cumpleaños en nuestra tienda.",
    "Idées cadeaux d'anniversaire : découvrez la sélection.",
]


# The footer a real marketing email carries, the shop's postal address and a visible opt-out
# (CAN-SPAM, SG702), so each message is judged only on its greeting.
FOOTER = "\n\nTienda Sol, Calle Mayor 12, 28013 Madrid\nUnsubscribe: https://tienda.example/unsubscribe"


def judge(text: str, personalization: bool) -> list[str]:
    request = {
        "id": "occasion-1",
        "channel": "email",
        "purpose": "marketing",
        "from": "hola@tienda.example",
        "to": "ana@example.org",
        "template": {"subject": "Para ti", "text": text + FOOTER},
        "customer": {"first_name": "Ana", "consent": {"email_marketing": True, "personalization": personalization}},
        "now": "2026-11-20T15:00:00Z",
    }
    return sorted({f.rule for f in check(parse_request(request)).findings})


@pytest.mark.parametrize("text", GREETINGS)
def test_an_occasion_greeting_in_another_language_needs_consent(text: str) -> None:
    assert judge(text, personalization=False) == ["SG104"]
    assert judge(text, personalization=True) == []


@pytest.mark.parametrize("text", NOT_GREETINGS)
def test_marketing_about_an_occasion_is_not_a_greeting_in_any_language(text: str) -> None:
    assert judge(text, personalization=False) == []
