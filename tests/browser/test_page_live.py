"""The emulator's page in a real (headless) browser while examples/batch is applied: members and
requests appear without a reload, and the search box, the request filters and the faults panel
work on what appeared."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import copy_example, pulumi_bin
from msgraph_membership.emulator.process import start_emulator

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "batch"
SCREENSHOT = REPO / "docs" / "images" / "emulator-page.png"
WAIT_S = 120  # for the page to catch up: generous, the up itself takes seconds
FAULTS = {"throttle_rate": 0.15, "retry_after_s": 0, "seed": 7}

sys.path.insert(0, str(EXAMPLE))
import batch_directory as d  # noqa: E402  (the example's own id scheme)


def batch_up_command(work: Path) -> list[str]:
    """The `up` of examples/batch that the page watches: the real `pulumi`, in a copy of the example."""
    return ["bash", "-c", "pulumi stack select --create dev --non-interactive && pulumi up --yes --non-interactive",
            "up", str(work)]


def workload_env(emu, state_dir: Path) -> dict:
    """The environment of the `up`: the emulator's settings, as `msgraph-emulator env` prints them."""
    return {**os.environ, **emu.env(), "PATH": pulumi_bin() + os.pathsep + os.environ["PATH"],
            "PULUMI_BACKEND_URL": f"file://{state_dir}", "PULUMI_CONFIG_PASSPHRASE": "browser-test",
            "PULUMI_SKIP_UPDATE_CHECK": "true"}


def readable(path: str) -> str:
    from urllib.parse import unquote, unquote_plus

    head, sep, query = path.partition("?")
    return unquote(head) + sep + unquote_plus(query)


def count(driver, selector: str) -> int:
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def texts(driver, selector: str) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent)", selector)


def wait_for(driver, condition, message: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_S, poll_frequency=0.2).until(lambda drv: condition(drv))
    except TimeoutException:
        pytest.fail(f"the page never showed {message}", pytrace=False)


MEMBER_ROWS = f'#groups details.container[data-id="{d.GROUP_ID}"] tr.member'


@pytest.fixture(scope="module")
def watched_up(browser, tmp_path_factory):
    """The page opened on a freshly seeded emulator, then examples/batch applied while it is open.
    Yields (driver, emulator, finished process, members shown before the up)."""
    state_dir = tmp_path_factory.mktemp("state")
    with start_emulator(seed=str(EXAMPLE / "seed.yaml")) as emu:
        emu.faults(FAULTS)
        browser.get(f"{emu.base_url}/_emulator/ui")
        wait_for(browser, lambda drv: count(drv, f'#groups details.container[data-id="{d.GROUP_ID}"]') == 1,
                 "the batch example's group")
        before = count(browser, MEMBER_ROWS)
        # Survives only if the page is never reloaded: the update must come from the page itself.
        browser.execute_script("window.__sameDocument = 'yes'")
        work = copy_example(EXAMPLE, tmp_path_factory.mktemp("program") / "batch")
        proc = subprocess.run(batch_up_command(work), env=workload_env(emu, state_dir), cwd=work,
                              capture_output=True, text=True, timeout=600)
        yield browser, emu, proc, before


def test_up_of_the_batch_example_succeeds_under_throttling(watched_up):
    _, emu, proc, _ = watched_up
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert any(r.get("fault") == "throttle" for r in emu.requests()) or \
        any(r.get("batch_faults") for r in emu.requests())


def test_members_appear_without_a_reload(watched_up):
    driver, emu, _, before = watched_up
    assert before == 0
    wait_for(driver, lambda drv: count(drv, MEMBER_ROWS) == d.USER_COUNT, f"all {d.USER_COUNT} members")
    assert driver.execute_script("return window.__sameDocument") == "yes"
    shown = set(driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.dataset.id)", MEMBER_ROWS))
    truth = next(g for g in emu.directory()["groups"] if g["id"] == d.GROUP_ID)["members"]
    assert shown == set(truth)
    assert set(texts(driver, MEMBER_ROWS + " td.type")) == {"user"}
    assert "User 000" in texts(driver, MEMBER_ROWS + " td.name")


def test_requests_appear_with_method_status_and_app(watched_up):
    driver, emu, _, _ = watched_up
    logged = emu.requests()
    wait_for(driver, lambda drv: count(drv, "#requests tbody tr") == len(logged), f"all {len(logged)} requests")
    rows = driver.execute_script("""
        return Array.from(document.querySelectorAll('#requests tbody tr'), tr => ({
            method: tr.children[1].textContent, path: tr.children[2].textContent,
            status: tr.children[3].textContent, app: tr.children[6].textContent}))""")
    assert any(r["method"] == "PATCH" and r["path"].startswith(f"/v1.0/groups/{d.GROUP_ID}") for r in rows)
    assert any(r["method"] == "POST" and r["path"].endswith("/oauth2/v2.0/token") and r["status"] == "200"
               for r in rows)
    assert {r["app"] for r in rows if r["path"].startswith("/v1.0/")} == {emu.client_id}
    # Paths as a person reads them: percent-escapes decoded, "+" in a query as a space.
    assert [r["path"].split("  [")[0] for r in rows] == [readable(e["path"]) for e in reversed(logged)]
    assert any("%" in e["path"] for e in logged) and not any("%24" in r["path"] for r in rows)
    assert [r["status"] for r in rows] == [str(e["status"]) if e["status"] is not None else "\u2014"
                                          for e in reversed(logged)]


def test_screenshot_for_the_docs(watched_up, tmp_path):
    """Written to docs/images/emulator-page.png with UPDATE_SCREENSHOTS=1 (the README shows it)."""
    driver, _, _, _ = watched_up
    wait_for(driver, lambda drv: count(drv, MEMBER_ROWS) == d.USER_COUNT, "all members")
    driver.execute_script("window.scrollTo(0, 0)")
    target = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "emulator-page.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_faults_in_force_are_shown(watched_up):
    driver, _, _, _ = watched_up
    wait_for(driver, lambda drv: drv.find_element("id", "faults").get_attribute("data-active") == "true",
             "the faults in force")
    text = driver.find_element("id", "faults").text
    assert "throttle_rate 0.15" in text and "seed 7" in text


def test_search_box_narrows_the_members(watched_up):
    driver, _, _, _ = watched_up
    wait_for(driver, lambda drv: count(drv, MEMBER_ROWS) == d.USER_COUNT, "all members")
    box = driver.find_element("id", "search")
    box.clear()
    box.send_keys("User 007")
    assert texts(driver, MEMBER_ROWS + " td.name") == ["User 007"]
    box.clear()
    box.send_keys("no such member anywhere")
    assert count(driver, MEMBER_ROWS) == 0
    assert "nothing matches" in driver.find_element("id", "groups").text
    box.clear()
    box.send_keys(" ")  # an input event with an empty query: everything again
    assert count(driver, MEMBER_ROWS) == d.USER_COUNT


def test_request_filters_keep_only_matching_rows(watched_up):
    from selenium.webdriver.support.ui import Select

    driver, _, _, _ = watched_up
    total = count(driver, "#requests tbody tr")
    Select(driver.find_element("id", "f-method")).select_by_visible_text("PATCH")
    methods = texts(driver, "#requests tbody tr td:nth-child(2)")
    assert methods and set(methods) == {"PATCH"} and len(methods) < total
    Select(driver.find_element("id", "f-method")).select_by_index(0)
    driver.find_element("id", "f-faulted").click()
    faults = texts(driver, "#requests tbody tr td.fault")
    assert faults and all(f for f in faults)
    driver.find_element("id", "f-faulted").click()
    assert count(driver, "#requests tbody tr") == total
