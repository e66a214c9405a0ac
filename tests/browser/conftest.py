"""A headless Chromium for the emulator page's tests, driven by selenium with the system's
chromium and chromedriver (Debian's `chromium` and `chromium-driver`: scripts/setup-browser.sh).

Without them the tests skip with the reason, except in CI (`CI=true`), where they fail: CI must
have installed them.
"""
from __future__ import annotations

import os
import shutil

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _missing(what: str):
    reason = f"{what}; run `bash scripts/setup-browser.sh` (and scripts/setup.sh dev for selenium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium WebDriver, quit at the end of the module."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed")
    binary = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        _missing("chromium or chromedriver is not on PATH")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium fetch a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1500,1000", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    # The emulator's certificate comes from its own test CA, which this throwaway profile does
    # not trust; the page is on loopback and carries no secret.
    options.accept_insecure_certs = True
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
