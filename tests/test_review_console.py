"""The review console in a real headless browser (Debian's chromium + chromium-driver).

The console is served as ``sendguard review --serve`` serves it (127.0.0.1, the
reviewer's identity) against a moto server holding two quarantined messages; the
browser releases one and denies the other through the page, then the tables are read.

The page is also checked at 420 px and at 1280 px wide: no sideways scrolling, the list
above the message when narrow and beside it when wide, the arrival column, Release off
(with the reason beside it) for a message that can only be denied, and a rule filter
that names only the catalog's rule ids.

``make test`` installs the browser first (``make browser``). A machine without it fails
this test rather than skipping it, unless SENDGUARD_SKIP_BROWSER=1 says so explicitly.
With SENDGUARD_SCREENSHOT=1 it also refreshes docs/review-console.png (1280 px) and
docs/review-console-420.png (420 px); a normal run writes nothing under docs/.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_review import BOOTS, NO_CONSENT, SCARF, row, sent_to  # tests/ is on sys.path (no package)

from functions import aws, local
from functions.guard import app
from functions.review import console, release, store
from linters.catalog import catalog

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = os.environ.get("SENDGUARD_SCREENSHOT") == "1"
GREEN = "rgba(17, 116, 59, 1)"  # an enabled Release button (console.html's #release)


def _browser_or_fail() -> None:
    if Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists():
        return
    if os.environ.get("SENDGUARD_SKIP_BROWSER") == "1":
        pytest.skip("SENDGUARD_SKIP_BROWSER=1: the console's browser test is skipped on purpose")
    pytest.fail("chromium and chromium-driver are missing: run `make browser` (make test does)")


@pytest.fixture
def console_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The console over moto holding BOOTS and SCARF (or, parametrised indirectly, the
    given requests) as quarantined messages."""
    _browser_or_fail()
    bodies = getattr(request, "param", (BOOTS, SCARF))
    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.delenv("GUARD_FUNCTION_NAME", raising=False)
    with local.embedded_moto() as moto_url:
        # moto's state is per process: start from none (another test may have served).
        urllib.request.urlopen(
            urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10
        )
        app.reset()
        stack = local.provision()
        for key, value in stack.function_environment("GuardFunction").items():
            monkeypatch.setenv(key, value)
        local.verify_senders(["x@northwind.example"])
        sqs = aws.client("sqs")
        for body in bodies:
            sqs.send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=json.dumps(body))
        local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], app.lambda_handler)
        server = console.console_server(store.who_am_i())
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}/review"
        finally:
            server.shutdown()
            server.server_close()
            app.reset()


@pytest.fixture
def browser() -> Iterator[Any]:
    _browser_or_fail()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,860"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, wait: Any, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'tr[data-id="{key}"]'))).click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "detail-id"), key))


def _decide(browser: Any, wait: Any, button: str, reason: str, state: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    browser.find_element(By.ID, "reason").send_keys(reason)
    browser.find_element(By.ID, button).click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "detail-state"), state))


def test_release_one_and_deny_another_through_the_page(console_url: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(console_url)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, 'tr[data-id="scarf-restock-li"]')))
    assert {tr.get_attribute("data-id") for tr in browser.find_elements(By.CSS_SELECTOR, "tr.item")} == {
        "winter-boots-julia",
        "scarf-restock-li",
    }

    _open(browser, wait, "winter-boots-julia")
    marks = browser.find_elements(By.CSS_SELECTOR, 'pre[data-part="text"] mark[data-rule="SG103"]')
    assert marks and "SG103" in marks[0].get_attribute("title")
    # A release without a reason is refused by the page itself.
    browser.find_element(By.ID, "release").click()
    assert "reason is required" in browser.find_element(By.ID, "status").text
    assert row("winter-boots-julia").get("review_state") is None
    _decide(browser, wait, "release", "Link is added by the footer; checked with marketing", "released")
    wait.until(ec.text_to_be_present_in_element((By.ID, "audit"), "released by"))

    _open(browser, wait, "scarf-restock-li")
    _decide(browser, wait, "deny", "Scarf restock was cancelled", "denied")

    released, denied = row("winter-boots-julia"), row("scarf-restock-li")
    assert (released["review_state"], released["outcome"], released["release_outcome"]) == (
        "released",
        "sent",
        "sent",
    )
    assert released["review_reason"] == "Link is added by the footer; checked with marketing"
    assert released["review_by"] == store.who_am_i()
    assert (denied["review_state"], denied["review_reason"]) == ("denied", "Scarf restock was cancelled")
    assert sent_to(BOOTS["to"]) == 1 and sent_to(SCARF["to"]) == 0
    # The pending list is empty now.
    browser.get(console_url)
    wait.until(ec.text_to_be_present_in_element((By.ID, "count"), "0 message(s)"))


@pytest.mark.parametrize("console_url", [(BOOTS, NO_CONSENT)], indirect=True)
def test_a_refused_or_lost_decision_is_shown_verbatim_with_the_state_as_it_is(
    console_url: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(console_url)
    # Refused (consent is never waived): the server's words as text, still pending,
    # and the reason the reviewer typed is kept.
    _open(browser, wait, "winter-boots-omar")
    reason = "<b>sure</b> & fine"
    browser.find_element(By.ID, "reason").send_keys(reason)
    button = browser.find_element(By.ID, "release")
    assert not button.is_enabled()  # the page offers no release of SG602 ...
    # ... and a page that sends one anyway (stale, or switched back on) is refused.
    browser.execute_script("arguments[0].disabled = false", button)
    button.click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "status"), "never waived"))
    status = browser.find_element(By.ID, "status")
    assert status.text == "winter-boots-omar: SG602: suppression and consent are never waived"
    assert status.get_attribute("class") == "error" and not status.find_elements(By.CSS_SELECTOR, "*")
    assert browser.find_element(By.ID, "detail-state").text == "pending"
    assert browser.find_element(By.ID, "reason").get_attribute("value") == reason
    assert row("winter-boots-omar").get("review_state") is None and sent_to(NO_CONSENT["to"]) == 0

    # Lost: another reviewer releases the open message first; this page's deny is
    # refused and the page then shows what happened (released, sent).
    _open(browser, wait, "winter-boots-julia")
    release.release("winter-boots-julia", "checked", "arn:aws:iam::123456789012:user/other")
    browser.find_element(By.ID, "reason").send_keys("stale offer")
    browser.find_element(By.ID, "deny").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "detail-state"), "released"))
    status = browser.find_element(By.ID, "status")
    assert status.text == "winter-boots-julia: already released; a message is decided once"
    assert status.get_attribute("class") == "error"
    assert browser.find_element(By.ID, "release-outcome").text == "sent"
    assert not browser.find_elements(By.ID, "deny")
    assert row("winter-boots-julia")["review_state"] == "released" and sent_to(BOOTS["to"]) == 1


# --- narrow and wide windows ----------------------------------------------------------

IST = timezone(timedelta(hours=5, minutes=30), "Asia/Kolkata")  # no daylight saving


def _window(browser: Any, width: int, height: int = 720) -> None:
    """A viewport of exactly ``width`` x ``height`` CSS pixels (whatever the window's
    frame takes)."""
    browser.set_window_size(width, height)
    inner = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.set_window_size(2 * width - inner[0], 2 * height - inner[1])
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]") == [width, height]


def _box(browser: Any, selector: str) -> dict[str, float]:
    return dict(
        browser.execute_script(
            "return document.querySelector(arguments[0]).getBoundingClientRect().toJSON()", selector
        )
    )


def _screenshot(browser: Any, name: str, width: int, full_page: bool) -> None:
    """docs/<name>: the viewport, or (full_page) the whole page at this width."""
    if full_page:
        _window(browser, width, int(browser.execute_script("return document.documentElement.scrollHeight")))
    assert browser.save_screenshot(str(ROOT / "docs" / name))
    _window(browser, width)


@pytest.mark.parametrize("console_url", [(BOOTS, NO_CONSENT, SCARF)], indirect=True)
@pytest.mark.parametrize("width", [420, 1280])
def test_the_page_at_420_and_1280_px(console_url: str, browser: Any, width: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    keys = {"winter-boots-julia", "winter-boots-omar", "scarf-restock-li"}
    wait = WebDriverWait(browser, 20)
    # The reviewer's clock is in India (UTC+05:30), so "local" differs from the stored UTC.
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Kolkata"})
    _window(browser, width)
    browser.get(console_url)
    wait.until(ec.text_to_be_present_in_element((By.ID, "count"), "3 message(s)"))
    assert {tr.get_attribute("data-id") for tr in browser.find_elements(By.CSS_SELECTOR, "tr.item")} == keys

    # The rule filter names real rules only: the catalog's ids, with an example from it.
    ids = [entry["id"] for entry in catalog()]
    rule = browser.find_element(By.ID, "rule")
    assert rule.get_attribute("placeholder") == "SG103" and "SG103" in ids
    assert rule.get_attribute("list") == "rule-ids"
    options = browser.find_elements(By.CSS_SELECTOR, "datalist#rule-ids option")
    assert [o.get_attribute("value") for o in options] == ids
    assert {o.get_attribute("label") for o in options} == {entry["name"] for entry in catalog()}
    assert "SG203" not in browser.page_source and "{{" not in browser.page_source

    # When each message arrived: local date and time, minutes only; the stored ISO time as its title.
    headings = [th.get_attribute("textContent") for th in browser.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headings == ["id", "arrived", "state", "rules", "campaign"]
    for key in keys:
        cell = browser.find_element(By.CSS_SELECTOR, f'tr[data-id="{key}"] td.arrived time')
        at = row(key)["at"]
        local_time = datetime.fromisoformat(at).astimezone(IST)
        assert cell.get_attribute("title") == at and cell.get_attribute("datetime") == at
        assert cell.text == f"{local_time.day} {local_time:%b %Y, %H:%M}", (cell.text, at)

    # SG602 (no consent): Release is off and greyed out, the reason beside it.
    _open(browser, wait, "winter-boots-omar")
    button = browser.find_element(By.ID, "release")
    why = browser.find_element(By.ID, "release-why")
    assert not button.is_enabled() and button.get_attribute("aria-describedby") == "release-why"
    assert why.is_displayed() and "SG602" in why.text and "can only be denied" in why.text
    assert browser.execute_script("return arguments[0].parentNode === arguments[1].parentNode", button, why)
    assert button.value_of_css_property("background-color") != GREEN
    assert button.value_of_css_property("cursor") == "not-allowed"
    assert browser.find_element(By.ID, "deny").is_enabled()

    # No sideways scrolling; the message gets room: beside the list when wide, below it
    # when narrow.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    listing, shown = _box(browser, "main > section"), _box(browser, "#detail")
    assert shown["width"] >= 300
    assert listing["right"] <= width and shown["right"] <= width
    if width < 800:
        assert shown["top"] >= listing["bottom"]  # stacked
    else:
        assert shown["left"] >= listing["right"] and shown["top"] == listing["top"]  # two columns
        assert shown["width"] >= 600
    if SCREENSHOTS and width == 420:
        _screenshot(browser, "review-console-420.png", width, full_page=True)

    # SG103 (a broken merge tag): a reviewer may release it.
    _open(browser, wait, "winter-boots-julia")
    button = browser.find_element(By.ID, "release")
    assert button.is_enabled() and button.value_of_css_property("background-color") == GREEN
    assert not browser.find_elements(By.ID, "release-why")
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert _box(browser, "#detail")["width"] >= 300
    if SCREENSHOTS and width == 1280:
        browser.find_element(By.ID, "reason").send_keys("Link is added by the footer; checked with marketing")
        _screenshot(browser, "review-console.png", width, full_page=False)
    assert all(row(key).get("review_state") is None for key in keys)  # looking decides nothing
