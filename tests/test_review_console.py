"""The review console in a real headless browser (Debian's chromium + chromium-driver).

The console is served as ``sendguard review --serve`` serves it (127.0.0.1, the
reviewer's identity) against a moto server holding two quarantined messages; the
browser releases one and denies the other through the page, then the tables are read.

``make test`` installs the browser first (``make browser``). A machine without it fails
this test rather than skipping it, unless SENDGUARD_SKIP_BROWSER=1 says so explicitly.
With SENDGUARD_SCREENSHOT=1 it also refreshes docs/review-console.png.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_review import BOOTS, NO_CONSENT, SCARF, row, sent_to  # tests/ is on sys.path (no package)

from functions import aws, local
from functions.guard import app
from functions.review import console, release, store

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


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
    if os.environ.get("SENDGUARD_SCREENSHOT") == "1":
        browser.find_element(By.ID, "reason").send_keys("Link is added by the footer; checked with marketing")
        browser.save_screenshot(str(ROOT / "docs" / "review-console.png"))
        browser.find_element(By.ID, "reason").clear()
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
    browser.find_element(By.ID, "release").click()
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
