"""SG601-SG607 contact policy: who may be contacted, how often, when, and how a message opens.

Requests are judged at the conftest "now", 2026-11-20T15:00:00Z (a Friday afternoon in
London, 10:00 in New York), unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from linters.findings import Finding, Result
from linters.models import RequestError, parse_request
from linters.policy import PolicyError, policy_from_mapping
from linters.timing import quiet_hours_end, zone_named
from tests.conftest import judge, make_request, rules_of

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
SALE_SMS = {"text": "Northwind: winter coats are 20% off until Sunday. Reply STOP to opt out."}
SALE_EMAIL = {
    "subject": "Winter coats, 20% off",
    "text": "Hi Maggie,\n\nOur winter coats are 20% off until Sunday.\n\nThe Northwind team",
}
RECEIPT = {"subject": "Your receipt", "text": "Thanks for your order #4417. Total: 89.00 GBP."}


def at(**before: float) -> str:
    """An ISO time this long before NOW: at(hours=6), at(days=2, minutes=-1)."""
    return (NOW - timedelta(**before)).isoformat()


def finding(result: Result, rule_id: str) -> Finding:
    found = [f for f in result.findings if f.rule == rule_id]
    assert found, f"{rule_id} did not fire: {rules_of(result)}"
    return found[0]


def policy(rules: dict[str, Any]):
    return policy_from_mapping({"rules": rules}, "test-policy")


def marketing_contact(hours_ago: float, channel: str = "email", **extra: Any) -> dict[str, Any]:
    return {"at": at(hours=hours_ago), "channel": channel, "purpose": "marketing", **extra}


# --------------------------------------------------------------------------- SG601


class TestSuppressed:
    def test_marketing_email_after_unsubscribing_is_blocked(self, regular):
        events = [{"type": "unsubscribe", "channel": "email", "at": at(days=3)}]
        result = judge(SALE_EMAIL, customer=regular, events=events)
        assert result.decision == "block"
        assert "unsubscribed on 2026-11-17" in finding(result, "SG601").message

    def test_unsubscribed_channel_on_the_customer_record(self, regular):
        regular["unsubscribed"] = ["sms"]
        assert "SG601" in rules_of(judge(SALE_SMS, channel="sms", customer=regular, to="+447700900123"))
        assert "SG601" not in rules_of(judge(SALE_EMAIL, customer=regular))

    def test_marketing_unsubscribe_does_not_stop_a_receipt_or_a_service_notice(self, regular):
        regular["unsubscribed"] = ["email"]
        events = [{"type": "unsubscribe", "channel": "email", "at": at(days=1)}]
        for purpose in ("transactional", "service"):
            result = judge(RECEIPT, purpose=purpose, customer=regular, events=events)
            assert "SG601" not in rules_of(result)

    def test_unsubscribing_from_email_does_not_stop_sms(self, regular):
        events = [{"type": "unsubscribe", "channel": "email", "at": at(days=1)}]
        result = judge(SALE_SMS, channel="sms", customer=regular, events=events, to="+447700900123")
        assert "SG601" not in rules_of(result)

    def test_complaint_stops_even_transactional_mail_on_that_channel(self, regular):
        events = [{"type": "complaint", "channel": "email", "at": at(days=10)}]
        result = judge(RECEIPT, purpose="transactional", customer=regular, events=events)
        assert result.decision == "block"
        assert "complained" in finding(result, "SG601").message

    def test_permanent_bounce_suppresses_and_transient_does_not(self):
        hard = [{"type": "bounce", "channel": "email", "at": at(days=2)}]
        soft = [{"type": "bounce", "channel": "email", "at": at(days=2), "bounce_type": "transient"}]
        assert "SG601" in rules_of(judge(RECEIPT, purpose="transactional", events=hard))
        assert "SG601" not in rules_of(judge(RECEIPT, purpose="transactional", events=soft))

    def test_an_unsubscribe_without_a_channel_covers_every_channel(self, regular):
        events = [{"type": "unsubscribe", "at": at(days=1)}]
        result = judge(SALE_SMS, channel="sms", customer=regular, events=events, to="+447700900123")
        assert "SG601" in rules_of(result)

    def test_behaviour_events_are_not_suppression(self, regular):
        events = [{"type": "login", "at": at(days=3)}, {"type": "site_visit", "at": at(days=3)}]
        assert "SG601" not in rules_of(judge(SALE_EMAIL, customer=regular, events=events))


# --------------------------------------------------------------------------- SG602


class TestConsent:
    def test_marketing_sms_needs_explicit_sms_consent(self, arthur):
        # Arthur agreed to marketing email only.
        result = judge(SALE_SMS, channel="sms", customer=arthur, to="+12025550143")
        assert result.decision == "block"
        assert "consent.sms_marketing is not given" in finding(result, "SG602").message

    def test_sms_consent_given(self, regular):
        assert "SG602" not in rules_of(judge(SALE_SMS, channel="sms", customer=regular, to="+4477"))

    def test_voice_marketing_needs_voice_consent_even_under_opt_out(self, regular):
        opt_out = policy({"SG602": {"consent_mode": "opt_out"}})
        result = judge(SALE_SMS, opt_out, channel="voice", customer=regular, to="+447700900123")
        assert "consent.voice_marketing" in finding(result, "SG602").message

    def test_email_marketing_under_opt_in_and_opt_out(self, regular):
        regular["consent"] = {"sms_marketing": True}  # email consent never recorded
        assert "SG602" in rules_of(judge(SALE_EMAIL, customer=regular))
        opt_out = policy({"SG602": {"consent_mode": "opt_out"}})
        assert "SG602" not in rules_of(judge(SALE_EMAIL, opt_out, customer=regular))
        regular["consent"] = {"email_marketing": False}
        refused = judge(SALE_EMAIL, opt_out, customer=regular)
        assert "refused" in finding(refused, "SG602").message

    def test_transactional_sms_needs_no_marketing_consent(self, arthur):
        text = {"text": "Your Northwind code is 482913. It expires in 10 minutes."}
        result = judge(text, channel="sms", purpose="transactional", customer=arthur, to="+12025550143")
        assert "SG602" not in rules_of(result)

    def test_without_a_customer_record_consent_is_not_judged(self):
        assert "SG602" not in rules_of(judge(SALE_EMAIL))

    def test_unknown_consent_mode_is_a_policy_error(self):
        with pytest.raises(PolicyError, match=r"rules\.SG602\.consent_mode"):
            policy({"SG602": {"consent_mode": "maybe"}})


# --------------------------------------------------------------------------- SG603


class TestFrequencyCap:
    def test_second_marketing_message_in_a_day_is_held_until_the_first_is_24_hours_old(self, regular):
        history = [marketing_contact(6, "email")]
        result = judge(SALE_SMS, channel="sms", customer=regular, history=history, to="+4477")
        hold = finding(result, "SG603")
        assert result.decision == "hold"
        assert hold.retry_at == NOW - timedelta(hours=6) + timedelta(hours=24)
        assert result.retry_at == hold.retry_at
        assert result.to_dict()["retry_at"] == "2026-11-21T09:00:00+00:00"

    def test_window_edge_exactly_24_hours_has_left_the_window(self, regular):
        exactly = judge(SALE_EMAIL, customer=regular, history=[marketing_contact(24)])
        assert "SG603" not in rules_of(exactly)
        just_inside = judge(SALE_EMAIL, customer=regular, history=[marketing_contact(24 - 1 / 3600)])
        assert finding(just_inside, "SG603").retry_at == NOW + timedelta(seconds=1)

    def test_weekly_cap_frees_when_the_oldest_leaves_the_week(self, regular):
        history = [marketing_contact(h) for h in (6 * 24, 4 * 24, 2 * 24)]
        result = judge(SALE_EMAIL, customer=regular, history=history)
        hold = finding(result, "SG603")
        assert "3 marketing messages in the last 7 days (cap 3)" in hold.message
        assert hold.retry_at == NOW + timedelta(days=1)

    def test_both_windows_over_waits_for_both(self, regular):
        history = [marketing_contact(h) for h in (5 * 24, 3 * 24, 2)]
        result = judge(SALE_EMAIL, customer=regular, history=history)
        assert [f.rule for f in result.findings if f.rule == "SG603"] == ["SG603", "SG603"]
        assert result.retry_at == NOW + timedelta(days=2)  # the 7-day window frees last

    def test_transactional_messages_neither_count_nor_are_capped(self, regular):
        receipts = [{"at": at(hours=h), "channel": "email", "purpose": "transactional"} for h in (1, 2, 3)]
        assert "SG603" not in rules_of(judge(SALE_EMAIL, customer=regular, history=receipts))
        busy = [marketing_contact(h) for h in (1, 30, 60)]
        receipt = judge(RECEIPT, purpose="transactional", customer=regular, history=busy)
        assert "SG603" not in rules_of(receipt)

    def test_per_channel_window_from_policy(self, regular):
        rules = {"SG603": {"windows": [{"hours": 24, "max": 2, "channel": "sms"}]}}
        sms_today = [marketing_contact(2, "sms"), marketing_contact(5, "sms"), marketing_contact(1)]
        held = judge(SALE_SMS, policy(rules), channel="sms", customer=regular, history=sms_today, to="+44")
        assert finding(held, "SG603").retry_at == NOW + timedelta(hours=19)
        # The email counts toward no sms window, and an email is not capped by it.
        email = judge(SALE_EMAIL, policy(rules), customer=regular, history=sms_today)
        assert "SG603" not in rules_of(email)

    def test_future_dated_contacts_are_ignored_but_clock_skew_is_not(self, regular):
        far_future = [{"at": "2099-01-01T00:00:00Z", "channel": "email", "purpose": "marketing"}]
        assert "SG603" not in rules_of(judge(SALE_EMAIL, customer=regular, history=far_future))
        skewed = [{"at": (NOW + timedelta(minutes=2)).isoformat(), "channel": "email"}]
        hold = finding(judge(SALE_EMAIL, customer=regular, history=skewed), "SG603")
        assert hold.retry_at == NOW + timedelta(hours=24, minutes=2)

    def test_a_cap_of_zero_is_a_policy_error_naming_the_key(self):
        with pytest.raises(PolicyError, match=r"SG603\.windows\.0\.max"):
            policy({"SG603": {"windows": [{"hours": 24, "max": 0}]}})


# --------------------------------------------------------------------------- SG604


class TestChannelPileup:
    def test_same_campaign_on_a_second_channel_within_a_week(self, regular):
        history = [marketing_contact(2 * 24, "email", campaign="Winter-Sale")]
        result = judge(
            SALE_SMS, channel="sms", campaign="winter-sale", customer=regular, history=history, to="+44"
        )
        assert result.decision == "block"
        assert "already reached this person by email" in finding(result, "SG604").message

    def test_same_channel_other_campaign_or_old_contact_is_no_pileup(self, regular):
        for history in (
            [marketing_contact(2 * 24, "sms", campaign="winter-sale")],
            [marketing_contact(2 * 24, "email", campaign="autumn-sale")],
            [marketing_contact(8 * 24, "email", campaign="winter-sale")],
            [marketing_contact(7 * 24, "email", campaign="winter-sale")],  # the edge: a week ago
        ):
            result = judge(
                SALE_SMS, channel="sms", campaign="winter-sale", customer=regular, history=history, to="+44"
            )
            assert "SG604" not in rules_of(result), history

    def test_transactional_follow_up_on_another_channel_is_fine(self, regular):
        history = [
            {"at": at(hours=1), "channel": "email", "campaign": "order-4417", "purpose": "transactional"}
        ]
        text = {"text": "Your order #4417 has shipped."}
        result = judge(
            text,
            channel="sms",
            purpose="transactional",
            campaign="order-4417",
            customer=regular,
            history=history,
            to="+44",
        )
        assert "SG604" not in rules_of(result)

    def test_window_days_from_policy(self, regular):
        history = [marketing_contact(10 * 24, "email", campaign="winter-sale")]
        rules = policy({"SG604": {"window_days": 14}})
        result = judge(
            SALE_SMS,
            rules,
            channel="sms",
            campaign="winter-sale",
            customer=regular,
            history=history,
            to="+44",
        )
        assert "SG604" in rules_of(result)


# --------------------------------------------------------------------------- SG605


# An automated marketing call (`automated` defaults to true) says so in its first sentence, as
# SG704 asks of every one; the tests below are about the timing of the call, not its persona.
VOICE_CALL = {"text": "Hello, this is an automated call from Northwind. I saw you were looking at our pens."}


class TestTriggerCooldown:
    def test_call_within_an_hour_of_a_login_is_held_for_a_day(self, regular):
        regular["consent"]["voice_marketing"] = True
        events = [{"type": "login", "at": at(minutes=40)}]
        result = judge(
            VOICE_CALL, channel="voice", trigger="login", customer=regular, events=events, to="+44"
        )
        hold = finding(result, "SG605")
        assert result.decision == "hold"
        assert hold.retry_at == NOW - timedelta(minutes=40) + timedelta(hours=24)
        assert "40 minutes after a login" in hold.message

    def test_exactly_at_the_end_of_the_cooldown_is_allowed(self, regular):
        events = [{"type": "site_visit", "at": at(hours=24)}]
        result = judge(SALE_EMAIL, trigger="site_visit", customer=regular, events=events)
        assert "SG605" not in rules_of(result)

    def test_the_latest_watched_behaviour_counts_not_only_the_trigger_type(self, regular):
        events = [{"type": "site_visit", "at": at(days=3)}, {"type": "login", "at": at(hours=2)}]
        result = judge(SALE_EMAIL, trigger="site_visit", customer=regular, events=events)
        assert finding(result, "SG605").retry_at == NOW + timedelta(hours=22)

    def test_security_alert_after_login_is_never_held(self, regular):
        events = [{"type": "login", "at": at(minutes=1)}]
        alert = {"subject": "New sign-in", "text": "A new device signed in to your account."}
        result = judge(alert, purpose="transactional", trigger="login", customer=regular, events=events)
        assert "SG605" not in rules_of(result)

    def test_other_triggers_and_missing_events_are_not_judged(self, regular):
        events = [{"type": "login", "at": at(minutes=5)}]
        assert "SG605" not in rules_of(judge(SALE_EMAIL, trigger="birthday", customer=regular, events=events))
        assert "SG605" not in rules_of(judge(SALE_EMAIL, trigger="login", customer=regular))

    def test_future_dated_behaviour_cannot_hold_for_years(self, regular):
        events = [{"type": "login", "at": "2031-06-01T00:00:00Z"}]
        assert "SG605" not in rules_of(judge(SALE_EMAIL, trigger="login", customer=regular, events=events))

    def test_cooldown_and_triggers_from_policy(self, regular):
        events = [{"type": "cart_abandoned", "at": at(hours=30)}]
        rules = policy({"SG605": {"cooldown_hours": 48, "triggers": ["cart_abandoned"]}})
        result = judge(SALE_EMAIL, rules, trigger="cart_abandoned", customer=regular, events=events)
        assert finding(result, "SG605").retry_at == NOW + timedelta(hours=18)


# --------------------------------------------------------------------------- SG606


class TestQuietHours:
    def test_late_evening_sms_in_new_york_waits_for_eight_local(self, arthur):
        arthur["consent"]["sms_marketing"] = True
        result = judge(SALE_SMS, channel="sms", customer=arthur, now="2026-11-20T03:30:00Z", to="+1202")
        hold = finding(result, "SG606")
        assert "22:30 in America/New_York" in hold.message
        assert hold.retry_at == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)  # 08:00 EST

    def test_early_morning_waits_until_the_same_morning(self, regular):
        result = judge(SALE_SMS, channel="sms", customer=regular, now="2026-11-20T06:15:00Z", to="+44")
        assert finding(result, "SG606").retry_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

    def test_edges_end_is_allowed_start_is_quiet(self, regular):
        def fires(now: str) -> bool:
            return "SG606" in rules_of(judge(SALE_SMS, channel="sms", customer=regular, now=now, to="+44"))

        assert not fires("2026-11-20T08:00:00Z")
        assert fires("2026-11-20T07:59:59Z")
        assert not fires("2026-11-20T20:59:59Z")
        assert fires("2026-11-20T21:00:00Z")

    def test_email_and_transactional_sms_are_exempt(self, regular):
        assert "SG606" not in rules_of(judge(SALE_EMAIL, customer=regular, now="2026-11-20T23:30:00Z"))
        code = {"text": "Your Northwind code is 482913."}
        result = judge(
            code,
            channel="sms",
            purpose="transactional",
            customer=regular,
            now="2026-11-20T23:30:00Z",
            to="+44",
        )
        assert "SG606" not in rules_of(result)

    def test_the_customers_own_quiet_hours_win(self, regular):
        regular["quiet_hours"] = {"start": "12:30", "end": "14:00"}  # a night-shift nurse
        day = judge(SALE_SMS, channel="sms", customer=regular, now="2026-11-20T13:00:00Z", to="+44")
        assert finding(day, "SG606").retry_at == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
        night = judge(SALE_SMS, channel="sms", customer=regular, now="2026-11-20T23:00:00Z", to="+44")
        assert "SG606" not in rules_of(night)

    def test_default_zone_and_default_hours_from_policy(self):
        rules = policy(
            {"SG606": {"default_timezone": "Asia/Tokyo", "quiet_start": "22:00", "quiet_end": "07:30"}}
        )
        # 15:00 UTC is 00:00 in Tokyo; no customer record, so the policy zone applies.
        result = judge(SALE_SMS, rules, channel="sms", to="+81")
        assert finding(result, "SG606").retry_at == datetime(2026, 11, 20, 22, 30, tzinfo=UTC)
        assert "SG606" not in rules_of(judge(SALE_SMS, channel="sms", to="+81"))  # UTC: 15:00

    def test_push_and_voice_too_but_channels_are_configurable(self, regular):
        late = "2026-11-20T22:00:00Z"
        regular["consent"]["push_marketing"] = True
        assert "SG606" in rules_of(judge(SALE_SMS, channel="push", customer=regular, now=late, to="device-1"))
        only_voice = policy({"SG606": {"channels": ["voice"]}})
        result = judge(SALE_SMS, only_voice, channel="push", customer=regular, now=late, to="device-1")
        assert "SG606" not in rules_of(result)

    def test_spring_forward_night_ends_at_eight_summer_time(self, regular):
        # London: 01:00 GMT on 29 March 2026 becomes 02:00 BST.
        result = judge(SALE_SMS, channel="sms", customer=regular, now="2026-03-28T23:30:00Z", to="+44")
        assert finding(result, "SG606").retry_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)

    def test_fall_back_night_ends_at_eight_winter_time(self, regular):
        result = judge(SALE_SMS, channel="sms", customer=regular, now="2026-10-24T23:30:00Z", to="+44")
        assert finding(result, "SG606").retry_at == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)

    def test_quiet_hours_ending_inside_the_skipped_hour_end_at_the_jump(self):
        # New York skips 02:00-03:00 on 8 March 2026; quiet hours until 02:30 end at 03:00 EDT.
        zone = zone_named("America/New_York")
        ends = quiet_hours_end(datetime(2026, 3, 8, 6, 0, tzinfo=UTC), zone, time(21), time(2, 30))
        assert ends == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)

    def test_unknown_time_zone_is_an_error_naming_the_field(self, regular):
        regular["timezone"] = "Europe/Atlantis"
        with pytest.raises(RequestError) as error:
            parse_request(make_request(SALE_SMS, channel="sms", customer=regular))
        assert error.value.field == "customer.timezone"
        assert "Europe/Atlantis" in error.value.problem
        with pytest.raises(PolicyError, match=r"SG606\.default_timezone"):
            policy({"SG606": {"default_timezone": "Mars/Olympus"}})

    @pytest.mark.parametrize(
        ("quiet_hours", "field"),
        [
            ({"start": "25:00", "end": "08:00"}, "customer.quiet_hours.start"),
            ({"start": "9pm", "end": "08:00"}, "customer.quiet_hours.start"),
            ({"start": "21:00", "end": "08:00+02:00"}, "customer.quiet_hours.end"),
            ({"start": "21:00", "end": "21:00"}, "customer.quiet_hours"),
            ({"start": "21:00"}, "customer.quiet_hours.end"),
        ],
    )
    def test_malformed_quiet_hours_name_the_field(self, regular, quiet_hours, field):
        regular["quiet_hours"] = quiet_hours
        with pytest.raises(RequestError) as error:
            parse_request(make_request(SALE_SMS, channel="sms", customer=regular))
        assert error.value.field == field

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"history": [{"at": "last tuesday", "channel": "email"}]}, "history.0.at"),
            ({"events": [{"type": "login", "at": "2026-13-01T00:00:00Z"}]}, "events.0.at"),
            ({"now": "20/11/2026 15:00"}, "now"),
        ],
    )
    def test_malformed_times_name_the_field(self, fields, field):
        with pytest.raises(RequestError) as error:
            parse_request(make_request(SALE_SMS, channel="sms", **fields))
        assert error.value.field == field


# ------------------------------------------------------------- holds that combine


class TestCombinedHolds:
    def test_the_message_waits_for_the_latest_hold(self, regular):
        # 06:30 in London: quiet until 08:00, and the cap frees at 09:00. Both must lift.
        history = [{"at": "2026-11-19T09:00:00Z", "channel": "email"}]
        result = judge(
            SALE_SMS, channel="sms", customer=regular, history=history, now="2026-11-20T06:30:00Z", to="+44"
        )
        # 06:30 is also outside the calling hours of the number's place (SG609).
        assert {f.rule for f in result.findings if f.action == "hold"} == {"SG603", "SG606", "SG609"}
        assert finding(result, "SG606").retry_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
        assert result.retry_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        again = judge(
            SALE_SMS,
            channel="sms",
            customer=regular,
            history=history,
            now=result.retry_at.isoformat(),
            to="+44",
        )
        assert again.decision == "allow"

    def test_a_retry_that_lands_in_quiet_hours_is_held_again_until_morning(self, regular):
        # A login at 21:30 holds until 21:30 tomorrow, which is inside quiet hours: the
        # re-queued message is judged again then and waits for 08:00. It never goes
        # out at night, and the chain ends.
        regular["consent"]["voice_marketing"] = True
        events = [{"type": "login", "at": "2026-11-20T21:30:00Z"}]
        request = dict(channel="voice", trigger="login", customer=regular, events=events, to="+44")
        moment = "2026-11-20T21:45:00Z"
        seen = []
        for _ in range(4):
            result = judge(VOICE_CALL, now=moment, **request)
            seen.append(result.decision)
            if result.decision != "hold":
                break
            moment = result.retry_at.isoformat()
        assert seen[-1] == "allow"
        assert moment == "2026-11-22T08:00:00+00:00"


# --------------------------------------------------------------------------- SG607


HOW_ARE_YOU = "Hi Maggie, how are you today?\n\nOur winter sale starts Friday."


class TestRepeatedOpener:
    def test_same_pleasantry_last_week_is_removed(self, regular):
        history = [{"at": at(days=7), "channel": "email", "text": HOW_ARE_YOU}]
        template = {
            "subject": "New arrivals",
            "text": "Hi Maggie,\n\nHow are you doing?! New arrivals are in: wool scarves and hats.",
        }
        result = judge(template, customer=regular, history=history)
        hit = finding(result, "SG607")
        assert hit.action == "rewrite" and hit.fix == ""
        assert "('how are you')" in hit.message
        assert result.decision == "rewrite"
        assert result.message["text"] == "Hi Maggie,\n\nNew arrivals are in: wool scarves and hats."

    def test_case_punctuation_and_word_forms_do_not_matter(self, regular):
        history = [
            {
                "at": at(days=2),
                "channel": "sms",
                "text": "NORTHWIND: HOPING YOU'RE KEEPING WELL... new coats in store.",
            }
        ]
        template = {"text": "I hope you are keeping well! Our coats are back in stock."}
        result = judge(template, purpose="service", automated=False, customer=regular, history=history)
        assert "SG607" in rules_of(result)

    def test_greeting_sharing_the_sentence_is_kept(self, regular):
        history = [{"at": at(days=3), "channel": "email", "text": "Good morning! How are things?"}]
        result = judge({"subject": "Scarves", "text": HOW_ARE_YOU}, customer=regular, history=history)
        assert result.message["text"] == "Hi Maggie,\n\nOur winter sale starts Friday."

    def test_html_part_loses_only_the_sentence(self, regular):
        history = [{"at": at(days=3), "channel": "email", "text": "Happy Friday! Our sale ends Sunday."}]
        template = {
            "subject": "Weekend",
            "html": "<p>Hi Maggie,</p><p>Happy Friday! Scarves are back.</p>",
            "text": "Hi Maggie,\n\nHappy Friday! Scarves are back.",
        }
        result = judge(template, customer=regular, history=history)
        assert result.message["html"] == "<p>Hi Maggie,</p><p>Scarves are back.</p>"
        assert result.message["text"] == "Hi Maggie,\n\nScarves are back."

    def test_no_repeat_outside_the_window_or_in_the_future(self, regular):
        template = {"subject": "Hello", "text": HOW_ARE_YOU}
        for when in (at(days=30), at(days=45), "2099-01-01T00:00:00Z"):
            history = [{"at": when, "channel": "email", "text": "How are you today? Sale on."}]
            assert "SG607" not in rules_of(judge(template, customer=regular, history=history)), when
        rules = policy({"SG607": {"window_days": 60}})
        history = [{"at": at(days=45), "channel": "email", "text": "How are you today? Sale on."}]
        assert "SG607" in rules_of(judge(template, rules, customer=regular, history=history))

    def test_different_pleasantry_is_not_a_repeat(self, regular):
        history = [{"at": at(days=3), "channel": "email", "text": "Happy Monday! New stock."}]
        assert "SG607" not in rules_of(judge({"text": HOW_ARE_YOU}, customer=regular, history=history))

    def test_pleasantry_in_the_body_of_either_message_is_not_an_opener(self, regular):
        history = [
            {"at": at(days=3), "channel": "email", "text": "Our sale starts Friday. How are you, by the way?"}
        ]
        assert "SG607" not in rules_of(judge({"text": HOW_ARE_YOU}, customer=regular, history=history))
        later = {"text": "Our sale starts Friday.\n\nHow are you today? We have scarves too."}
        history = [{"at": at(days=3), "channel": "email", "text": HOW_ARE_YOU}]
        assert "SG607" not in rules_of(judge(later, customer=regular, history=history))

    def test_a_repeated_factual_opener_is_not_a_pleasantry(self, regular):
        opener = "Your order #4417 has shipped. It arrives Monday."
        history = [{"at": at(days=1), "channel": "email", "text": opener}]
        result = judge({"text": opener}, purpose="transactional", customer=regular, history=history)
        assert "SG607" not in rules_of(result)

    def test_subject_is_left_alone(self, regular):
        history = [{"at": at(days=3), "channel": "email", "text": "How are you today? Sale on."}]
        template = {"subject": "How are you today?", "text": "Our winter sale starts Friday."}
        assert "SG607" not in rules_of(judge(template, customer=regular, history=history))


def test_every_contact_rule_is_documented_and_registered():
    from linters.rules import all_rules

    contact = {r.id: r for r in all_rules() if r.id.startswith("SG6")}
    assert sorted(contact) == [f"SG60{i}" for i in range(1, 10)]
    for found in contact.values():
        assert "Catches:" in found.doc and "Why it hurts:" in found.doc and "Fix:" in found.doc
        for name, field in found.settings.model_fields.items():
            assert field.description, f"{found.id}.{name} has no description"


def test_the_documented_policy_example_loads(tmp_path, regular):
    from pathlib import Path

    from linters.policy import load_policy_file

    page = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text("utf-8")
    section = page.split("## Contact policy", 1)[1].split("### Example policy", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "sendguard.toml").write_text(example, "utf-8")
    loaded = load_policy_file(tmp_path / "sendguard.toml")
    assert loaded.actions["SG607"] == "warn"
    assert [w.max for w in loaded.settings["SG603"].windows] == [1, 2, 4]
    assert loaded.settings["SG606"].quiet_start == time(20, 0)
    # 20:30 in London is quiet under this policy, not under the defaults.
    late = dict(channel="sms", customer=regular, now="2026-11-20T20:30:00Z", to="+44")
    assert "SG606" in rules_of(judge(SALE_SMS, loaded, **late))
    assert "SG606" not in rules_of(judge(SALE_SMS, **late))


def test_toml_local_time_literals_are_accepted(tmp_path):
    from linters.policy import load_policy_file

    (tmp_path / "sendguard.toml").write_text(
        "[tool.sendguard.rules.SG606]\nquiet_start = 22:00:00\nquiet_end = 07:00:00\n", "utf-8"
    )
    settings = load_policy_file(tmp_path / "sendguard.toml").settings["SG606"]
    assert (settings.quiet_start, settings.quiet_end) == (time(22, 0), time(7, 0))


@pytest.mark.parametrize(
    ("opener", "earlier", "repeated"),
    [
        ("How are you doing today, Maggie? Scarves are in.", "Hi Maggie! How's it going? Sale on.", True),
        ("How's your week been so far? Scarves are in.", "How is your week going? Sale on.", True),
        ("Hope your week is going well! Scarves are in.", "Hope all is well with you. Sale on.", True),
        ("Just checking in! Scarves are in.", "Touching base before the sale. Sale on.", True),
        ("How are you finding the new jacket? Tell us in a review.", "How are you today? Sale on.", False),
        ("Checking in on your order #4417: it ships Monday.", "Just checking in! Sale on.", False),
        ("I wanted to reach out about your account.", "Just checking in! Sale on.", False),
        ("Hope you love your new boots. Care tips inside.", "Hope you are well. Sale on.", False),
    ],
)
def test_what_counts_as_the_same_pleasantry(regular, opener, earlier, repeated):
    history = [{"at": at(days=5), "channel": "email", "text": earlier}]
    result = judge({"text": opener}, purpose="service", automated=False, customer=regular, history=history)
    assert ("SG607" in rules_of(result)) is repeated


def test_the_essay_two_emails_a_day_after_unsubscribing_twice(regular):
    # "I received at least two emails a day for the next two weeks ... I finally had to
    # report the emails as spam (after I unsubscribed twice)."
    history = [
        {
            "at": at(days=d, hours=h),
            "channel": "email",
            "campaign": "last-chance",
            "text": "Last chance for savings!",
        }
        for d in range(14)
        for h in (1, 7)
    ]
    events = [
        {"type": "cart_abandoned", "at": at(days=15)},
        {"type": "unsubscribe", "channel": "email", "at": at(days=12)},
        {"type": "unsubscribe", "channel": "email", "at": at(days=9)},
    ]
    result = judge(SALE_EMAIL, customer=regular, history=history, events=events, campaign="last-chance")
    assert result.decision == "block"
    assert {"SG601", "SG603"} <= set(rules_of(result))
    # Once the complaint arrives even the order receipts stop.
    events.append({"type": "complaint", "channel": "email", "at": at(days=1)})
    receipt = judge(RECEIPT, purpose="transactional", customer=regular, history=history, events=events)
    assert "SG601" in rules_of(receipt)
