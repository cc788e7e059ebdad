"""The booking form in a real browser: Debian's headless Chromium, driven by Selenium.

The site runs on a free local port in a thread; Chromium fills the form as a client
would, sends bad input, reads each message beside its field, fixes the input and lands
on the card. Selenium talks to Debian's ``chromedriver``, built from the same source as
its ``chromium``, so the two always match and nothing is downloaded.

Without Chromium (``apt-get install chromium chromium-driver``) the test is skipped with
the reason; with ``CLIENTCARD_REQUIRE_BROWSER=1`` (as CI sets it) it fails instead, so a
machine without a browser can't pass for a green run.
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from webapp.salon import CONSENT_OFFERS
from werkzeug.serving import make_server

from clientcard.locale import message
from webapp import WebappConfig

CHROMIUM = Path(os.environ.get("CLIENTCARD_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CLIENTCARD_CHROMEDRIVER", "/usr/bin/chromedriver"))
WAIT_SECONDS = 10
# Where the screenshots go: the test's own directory, or (make screenshots) the docs'.
SCREENSHOTS_ENV = "CLIENTCARD_SCREENSHOTS"
PHONE = (390, 844)

pytestmark = pytest.mark.slow


def _browser_problem() -> str | None:
    """Why the browser test can't run here, or ``None``."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.is_file():
            return f"{path} is missing (apt-get install {package})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[webapp]')"
    return None


def _browser_or_skip() -> None:
    problem = _browser_problem()
    if problem is not None:
        if os.environ.get("CLIENTCARD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{problem}; CLIENTCARD_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(problem)


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    """The site, served on a free port of 127.0.0.1 for the length of the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="webapp", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture
def browser() -> Iterator[object]:
    """A headless Chromium of Debian's, through its own chromedriver."""
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--window-size=900,1600",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    # A phone's screen (390 x 844 CSS pixels, touch): the site is laid out for it first.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True},
    )
    try:
        yield driver
    finally:
        driver.quit()


def test_a_client_sees_the_field_errors_then_the_card(
    browser: object, live_url: str, config: WebappConfig, tmp_path: Path
) -> None:
    """Bad e-mail, bad phone and no first name: each message beside its field; then the card."""
    from selenium.webdriver.chrome.webdriver import WebDriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webelement import WebElement
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.wait import WebDriverWait

    assert isinstance(browser, WebDriver)
    driver = browser
    wait = WebDriverWait(driver, WAIT_SECONDS)
    email_offer = CONSENT_OFFERS[0]

    def field(key: str) -> WebElement:
        return driver.find_element(By.CSS_SELECTOR, f'div.field[data-field="{key}"]')

    def type_into(key: str, text: str) -> None:
        box = driver.find_element(By.NAME, key)
        box.clear()
        box.send_keys(text)

    def submit() -> None:
        page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.CSS_SELECTOR, "#booking button[type=submit]").click()
        # Until the new page replaces it, a lookup may find the old page's elements,
        # which the browser then reports as no longer in the document.
        wait.until(ec.staleness_of(page))

    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    def shoot(name: str) -> None:
        """The whole page, however long, as a phone shows it: a PNG for the docs."""
        height = driver.execute_script("return document.documentElement.scrollHeight")
        assert isinstance(height, int)
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": PHONE[0], "height": height, "scale": 1},
            },
        )
        (shots / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))

    def fits_the_screen() -> bool:
        width = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert isinstance(width, list)
        return bool(width[0] <= width[1])

    driver.get(live_url + "/")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Prenota un appuntamento"
    assert not driver.find_element(By.NAME, email_offer.name).is_selected()
    assert fits_the_screen()
    button = driver.find_element(By.CSS_SELECTOR, "#booking button[type=submit]")
    assert button.value_of_css_property("background-color") == "rgba(138, 59, 82, 1)"
    assert button.size["height"] >= 44  # a thumb's target
    assert email_offer.version("it") not in driver.find_element(By.ID, "booking").text
    shoot("form")

    type_into("last_name", "Rossi")
    type_into("email", "anna@")
    type_into("phones", "12")
    Select(driver.find_element(By.NAME, "_service")).select_by_value("colour")
    Select(driver.find_element(By.NAME, "_slot")).select_by_index(1)
    driver.find_element(By.NAME, email_offer.name).click()
    submit()

    wait.until(ec.presence_of_element_located((By.ID, "errors")))
    shoot("errors")
    summary_links = driver.find_elements(By.CSS_SELECTOR, "#errors a")
    assert [a.get_attribute("href").rsplit("#", 1)[1] for a in summary_links] == [
        "field-first_name",
        "field-email",
        "field-phones",
    ]
    assert fits_the_screen()
    for key, code in (
        ("first_name", "field.required"),
        ("email", "email.invalid"),
        ("phones", "phone.invalid"),
    ):
        block = field(key)
        box = block.find_element(By.NAME, key)
        (error,) = block.find_elements(By.CSS_SELECTOR, "p.error")
        assert error.text == message(code, "it")
        assert error.is_displayed()
        # Right under its own input, before the next field begins.
        assert 0 <= error.rect["y"] - (box.rect["y"] + box.rect["height"]) < 40
        assert box.get_attribute("aria-describedby") == error.get_attribute("id")
        assert box.get_attribute("aria-invalid") == "true"
    assert field("last_name").find_elements(By.CSS_SELECTOR, "p.error") == []
    assert driver.find_element(By.NAME, "email").get_attribute("value") == "anna@"
    assert driver.find_element(By.NAME, email_offer.name).is_selected()

    type_into("first_name", "Anna")
    type_into("email", "anna.rossi@example.com")
    type_into("phones", "333 123 4567")
    submit()

    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "prenotazione è confermata"))
    shoot("confirmation")
    assert fits_the_screen()
    phone = driver.find_element(By.CSS_SELECTOR, "#card a.phone")
    assert phone.get_attribute("href") == "tel:+393331234567"
    assert phone.text == "+39 333 123 4567"
    assert "Anna Rossi" in driver.find_element(By.ID, "confirmation").text
    (granted,) = driver.find_elements(By.CSS_SELECTOR, "#consent li.granted")
    assert email_offer.text("it") in granted.text
    assert email_offer.version("it") not in driver.find_element(By.TAG_NAME, "main").text
    assert driver.find_elements(By.ID, "blocked") == []
    assert len(driver.find_elements(By.CSS_SELECTOR, "li.booking")) == 1
