"""SG609 calling-hours (issue 30, item 4): 8:00 to 21:00 where the phone rings, by the number.

47 CFR 64.1200(c)(1) forbids telephone solicitation before 8 a.m. or after 9 p.m. at
the called party's location. With no time zone on the record the zones come from the
number (linters/phone_zones.py), a number that may ring in several zones is allowed
only in hours valid in all of them, and the hours are a floor a policy can tighten but
never loosen. Numbers are 555-01xx (reserved for fiction) in real area codes.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions import local
from functions.guard import delivery
from functions.review.release import override_policy
from linters.campaign import Campaign, CampaignTemplate
from linters.engine import check
from linters.findings import Action, Decision, Result
from linters.models import parse_request
from linters.phone_zones import UnknownZones, earliest_within, zone_names_for_number
from linters.policy import Policy, PolicyError, policy_from_mapping
from linters.selection import selection_from_args
from tests import test_guard
from tests.test_delivery_faults import run

stack = test_guard.stack

CONSENT = {"email_marketing": True, "sms_marketing": True, "voice_marketing": True, "push_marketing": True}
PROMO = "Brightside Optical: frames from $49 through Sunday. Book an eye exam at brightside.example. Reply STOP to opt out."


def text(to: str, now: str, purpose: str = "marketing", timezone: str | None = None, **fields: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {"customer_id": "c-maya", "first_name": "Maya", "last_name": "Reyes", "consent": CONSENT}
    if timezone:
        customer["timezone"] = timezone
    request = {
        "id": "brightside-frames-0311",
        "channel": "sms",
        "purpose": purpose,
        "from": "Brightside",
        "to": to,
        "template": {"text": PROMO},
        "customer": customer,
        "now": now,
    }
    return {**request, **fields}


def judged(request: dict[str, Any], policy: Policy | None = None) -> Result:
    return check(parse_request(request), policy)


def sg609(result: Result) -> list[Any]:
    return [f for f in result.findings if f.rule == "SG609"]


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


# --- by the number ------------------------------------------------------------------------


def test_a_text_at_7_30_in_new_york_is_held_until_8_there() -> None:
    result = judged(text("+12125550134", "2026-11-20T12:30:00Z"))
    assert result.decision == Decision.HOLD
    [finding] = sg609(result)
    assert finding.retry_at == at("2026-11-20T13:00:00Z")
    assert "07:30 in America/New_York" in finding.message and "47 CFR 64.1200(c)(1)" in finding.message


def test_a_text_at_7_30_in_san_francisco_is_held_until_8_there() -> None:
    result = judged(text("+14155550172", "2026-11-20T15:30:00Z"))
    assert result.decision == Decision.HOLD
    assert result.retry_at == at("2026-11-20T16:00:00Z")


def test_a_text_at_9_pm_in_denver_is_held_until_the_next_morning() -> None:
    # 04:00 UTC is 21:00 in Denver: the end is exclusive. Quiet hours (UTC, no zone on
    # the record) hold too, until 08:00 UTC; calling hours until 08:00 in Denver.
    result = judged(text("+13035550100", "2026-11-21T04:00:00Z"))
    [finding] = sg609(result)
    assert finding.retry_at == at("2026-11-21T15:00:00Z")
    assert result.retry_at == at("2026-11-21T15:00:00Z")


def test_inside_the_hours_nothing_is_said() -> None:
    assert sg609(judged(text("+12125550134", "2026-11-20T13:00:00Z"))) == []
    assert sg609(judged(text("+14155550172", "2026-11-21T04:59:00Z"))) == []  # 20:59 in San Francisco


def test_the_hours_follow_daylight_saving_time() -> None:
    # 8 March 2026, clocks go forward in the US: 07:30 EDT is 11:30 UTC, 08:00 EDT 12:00 UTC.
    [finding] = sg609(judged(text("+12125550134", "2026-03-08T11:30:00Z")))
    assert finding.retry_at == at("2026-03-08T12:00:00Z")


# --- numbers that may ring in several zones -----------------------------------------------


def test_idahos_area_code_is_allowed_only_when_it_is_day_in_boise_and_los_angeles() -> None:
    assert zone_names_for_number("+12085550161") == ("America/Boise", "America/Los_Angeles")
    # 15:30 UTC: 08:30 in Boise, 07:30 on Pacific time.
    [finding] = sg609(judged(text("+12085550161", "2026-11-20T15:30:00Z")))
    assert "07:30 in America/Los_Angeles" in finding.message and "America/Boise" not in finding.message
    assert finding.retry_at == at("2026-11-20T16:00:00Z")
    # 04:30 UTC: 20:30 on Pacific time, but 21:30 in Boise.
    [late] = sg609(judged(text("+12085550161", "2026-11-21T04:30:00Z")))
    assert "21:30 in America/Boise" in late.message
    assert late.retry_at == at("2026-11-21T16:00:00Z")  # 09:00 Boise, 08:00 Los Angeles
    assert sg609(judged(text("+12085550161", "2026-11-20T16:30:00Z"))) == []


def test_labradors_number_waits_for_8_in_halifax_time_not_st_johns() -> None:
    assert zone_names_for_number("+17095550115") == ("America/Halifax", "America/St_Johns")
    # 11:45 UTC: 08:15 in St. John's (UTC-3:30), 07:45 on Atlantic time (UTC-4).
    [finding] = sg609(judged(text("+17095550115", "2026-11-20T11:45:00Z")))
    assert "07:45 in America/Halifax" in finding.message
    assert finding.retry_at == at("2026-11-20T12:00:00Z")


def test_a_toll_free_number_waits_for_the_hour_every_zone_shares() -> None:
    # +1 800 may ring from Guam (UTC+10) to Newfoundland (UTC-3:30): their hours
    # overlap from 22:00 UTC (08:00 in Guam) to 00:30 (21:00 in St. John's).
    zones = [ZoneInfo(name) for name in zone_names_for_number("+18005550199")]
    assert earliest_within(at("2026-11-20T15:30:00Z"), zones, time(8), time(21)) == at("2026-11-20T22:00:00Z")
    assert earliest_within(at("2026-11-20T23:00:00Z"), zones, time(8), time(21)) == at("2026-11-20T23:00:00Z")


def test_zones_that_share_no_hour_cannot_be_judged() -> None:
    # Any two zones share part of a 13-hour day; London, Shanghai and Los Angeles (UTC,
    # +8, -8 in November) split the clock in three and share none of it.
    zones = [ZoneInfo("Europe/London"), ZoneInfo("Asia/Shanghai"), ZoneInfo("America/Los_Angeles")]
    assert earliest_within(at("2026-11-20T15:30:00Z"), zones, time(8), time(21)) is None


@pytest.mark.parametrize("to", ["+447700900123", "2125550134", "+1 (212) 555", "brightside-customer-0311"])
def test_a_number_without_zone_data_is_blocked_not_sent_unjudged(to: str) -> None:
    with pytest.raises(UnknownZones):
        zone_names_for_number(to)
    result = judged(text(to, "2026-11-20T15:00:00Z"))
    [finding] = sg609(result)
    assert result.decision == Decision.BLOCK and finding.action == Action.BLOCK
    assert "set customer.timezone" in finding.message and to not in finding.message


# --- the record wins -----------------------------------------------------------------------


def test_an_explicit_time_zone_on_the_record_wins_over_the_number() -> None:
    # A San Francisco number whose owner's record says New York: 10:30 there, not 07:30.
    assert sg609(judged(text("+14155550172", "2026-11-20T15:30:00Z", timezone="America/New_York"))) == []
    # A Boston number whose owner lives in Seattle: 06:30 there, held until 08:00 Seattle.
    [finding] = sg609(judged(text("+16175550142", "2026-11-20T14:30:00Z", timezone="America/Los_Angeles")))
    assert "the customer's timezone" in finding.message
    assert finding.retry_at == at("2026-11-20T16:00:00Z")


# --- what is not judged --------------------------------------------------------------------


def test_transactional_and_service_texts_are_not_held_by_calling_hours() -> None:
    shipped = text("+14155550172", "2026-11-20T15:30:00Z", purpose="transactional")
    shipped["template"] = {"text": "Brightside Optical: your glasses are ready for pickup at 220 Park Ave."}
    assert sg609(judged(shipped)) == []
    reminder = text("+12125550134", "2026-11-20T12:45:00Z", purpose="service")
    reminder["template"] = {"text": "Brightside Optical: reminder, your eye exam is today at 9:15. Reply C to confirm."}
    assert sg609(judged(reminder)) == []
    # A policy may add service (stricter), never remove marketing.
    strict = policy_from_mapping({"rules": {"SG609": {"purposes": ["marketing", "service"]}}})
    assert sg609(judged(reminder, strict))


def test_email_and_push_are_not_telephone_solicitation() -> None:
    email = text("maya.reyes@example.com", "2026-11-20T12:30:00Z", channel="email", **{"from": "offers@brightside.example"})
    email["template"] = {"subject": "Frames from $49", "text": "Hi Maya,\n\nFrames from $49 through Sunday.\n\nBrightside"}
    assert sg609(judged(email)) == []


def test_an_automated_sales_call_at_night_in_chicago_is_held() -> None:
    call = text("+13125550110", "2026-11-21T03:10:00Z", channel="voice")
    call["template"] = {"text": "This is an automated call from Lakeview Windows: winter installation is 10 percent off. Press 9 to stop these calls."}
    [finding] = sg609(judged(call))
    assert "21:10 in America/Chicago" in finding.message


# --- a floor: policy can tighten, never loosen ----------------------------------------------


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"rules": {"SG609": "warn"}}, "policy: rules.SG609: SG609 is a legal floor"),
        ({"rules": {"SG609": "off"}}, "policy: rules.SG609: "),
        ({"rules": {"SG609": {"action": "rewrite"}}}, "policy: rules.SG609.action: "),
        ({"rules": {"SG609": {"start": "07:30"}}}, "policy: rules.SG609.start: .*07:30 is before 08:00"),
        ({"rules": {"SG609": {"end": "22:00"}}}, "policy: rules.SG609.end: .*22:00 is after 21:00"),
        ({"rules": {"SG609": {"purposes": ["service"]}}}, "policy: rules.SG609.purposes: .*marketing is always"),
        ({"rules": {"SG609": {"start": "20:00", "end": "09:00"}}}, "policy: rules.SG609.end: .*09:00 is not after start 20:00"),
        ({"ignore": ["SG302", "SG609"]}, "policy: ignore: SG609 is a legal floor"),
    ],
)
def test_a_policy_that_would_loosen_the_hours_is_refused_naming_the_field(document: dict, named: str) -> None:
    with pytest.raises(PolicyError, match=named):
        policy_from_mapping(document)


def test_a_policy_can_make_the_hours_stricter() -> None:
    stricter = policy_from_mapping({"rules": {"SG609": {"action": "block", "start": "09:00", "end": "20:00"}}})
    # 08:30 in New York: legal, but this sender calls from 09:00 only.
    [finding] = sg609(judged(text("+12125550134", "2026-11-20T13:30:00Z"), stricter))
    assert finding.action == Action.BLOCK and "calling hours 09:00-20:00" in finding.message


def test_what_a_policy_file_cannot_refuse_still_leaves_the_floor_on() -> None:
    early = text("+12125550134", "2026-11-20T12:30:00Z")
    # A prefix turns the other contact rules off, not the floor.
    assert sg609(judged(early, policy_from_mapping({"ignore": ["SG6"]})))
    # The command line's --ignore and --select.
    for layer in (selection_from_args(None, None, ["SG609"]), selection_from_args(["SG1"], None, None)):
        [finding] = sg609(judged(early, layer.apply(Policy())))
        assert finding.action == Action.HOLD
    # A reviewer's release accepts the rules that held the message: not this one.
    released = override_policy(Policy(), {"SG609"})
    assert judged(early, released).decision == Decision.HOLD


# --- a campaign shares no verdict across zones --------------------------------------------


def test_a_campaign_judges_each_number_in_its_own_zone() -> None:
    template = CampaignTemplate({"text": "Hi {{first_name}}, " + PROMO}, {"channel": "sms", "purpose": "marketing"})
    campaign = Campaign(template, now=at("2026-11-20T15:30:00Z"))
    decisions = {}
    for i, to in enumerate(["+12125550134", "+14155550172", "+12125550135", "+14155550173"]):
        record = {"id": f"r{i}", "to": to, "data": {"first_name": "Maya"}, "customer": {"first_name": "Maya", "consent": CONSENT}}
        decisions[to] = campaign.judge_record(i, record).decision
    # 10:30 in New York, 07:30 in San Francisco.
    assert decisions == {
        "+12125550134": "allow", "+14155550172": "hold", "+12125550135": "allow", "+14155550173": "hold"
    }


# --- the guard holds it on the outbox -------------------------------------------------------


def test_the_guard_holds_an_early_text_on_the_outbox_until_8_local(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.guard import app

    monkeypatch.setattr(delivery, "MAX_DELAY_SECONDS", 0)  # moto's delays are real time: skip them
    monkeypatch.setattr(app, "clock", lambda: at("2026-11-20T15:30:00Z"))  # 07:30 in San Francisco
    test_guard.put(stack, text("+14155550172", "2026-11-20T15:30:00Z"))
    assert run(stack, rounds=1) == [{"batchItemFailures": []}]
    assert local.sent_sms() == []
    record = delivery.load("brightside-frames-0311")
    assert record.state == "held" and record.not_before == at("2026-11-20T16:00:00Z")
    row = test_guard.decision_row("brightside-frames-0311")
    assert row["decision"] == "hold" and "SG609" in {f["rule"] for f in json.loads(row["findings"])}

    monkeypatch.setattr(app, "clock", lambda: at("2026-11-20T16:00:01Z"))  # 08:00 there
    run(stack)
    assert [phone for phone, _ in local.sent_sms()] == ["+14155550172"]
    assert delivery.load("brightside-frames-0311").state == "sent"
