"""The dashboard in a real browser: headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven
by selenium against the web dyno on a real database with a real worker.

Each page loads without console errors (screenshots land in tests/e2e/artifacts/),
a run submitted through the API appears on the runs page without a reload,
retry on a failed run leads to the new run, and the pages fit a phone's width.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from tests.integration.web import actors  # noqa: F401  (the webtest actors the API submits)
from tests.support.waiting import wait_until

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


@pytest.fixture
def web(app):
    from dramaturg.web import create_app
    from dramaturg.web.config import WebSettings
    from dramaturg.web.server import ThreadedServer

    with ThreadedServer(create_app(app, settings=WebSettings())) as server:
        yield server


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER), "apt-get install chromium chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _post(web, job: dict, key: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = requests.post(f"{web.url}/api/jobs", json=job, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _wait_job(web, job_id: int, *statuses: str) -> dict:
    return wait_until(
        lambda: (b := requests.get(f"{web.url}/api/jobs/{job_id}", timeout=10).json())["status"] in statuses and b,
        timeout=20,
    )


def _console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def _shot(browser, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def _until(browser, condition, timeout: float = 20):
    """Wait for ``condition(driver)``; an element htmx just swapped out is simply looked up again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (StaleElementReferenceException, NoSuchElementException)
    return WebDriverWait(browser, timeout, poll_frequency=0.1, ignored_exceptions=ignored).until(condition)


def _live_text(browser) -> str:
    """The run page's live part, read as one value (it is replaced every 2 s while the run is not final)."""
    return _until(browser, lambda d: d.find_element("id", "run-live").text)


def test_every_page_loads_and_renders_without_console_errors(web, app, worker, browser, raw):
    from selenium.webdriver.common.by import By

    from dramaturg.process_health import attach_worker

    health = attach_worker(app, worker)  # the worker's heartbeat, as `dramaturg worker` writes it
    wait_until(health.heartbeat.healthy)

    # Given some history: a completed run, a failed one, a fan-out run with children
    ok = _post(web, {"type": "webtest.echo", "payload": {"n": 1}})
    bad = _post(web, {"type": "webtest.echo", "payload": {"n": 2, "fail": True}})
    with raw.cursor() as cur:
        cur.execute("INSERT INTO example.example_items (name) VALUES ('a'), ('b'), ('c')")
    fan = requests.post(f"{web.url}/api/admin/jobs/example-touch/trigger", json={"wait": True}, timeout=30).json()["id"]
    _wait_job(web, ok, "COMPLETED")
    _wait_job(web, bad, "FAILED")
    pages = {
        "overview": ("/", "Overview"),
        "runs": ("/runs", "Runs"),
        "run-failed": (f"/runs/{bad}", f"Run {bad}"),
        "run-fanout": (f"/runs/{fan}", f"Run {fan}"),
        "schedules": ("/schedules", "Schedules"),
        "failures": ("/failures", "Failures, last 24 h"),
    }
    for name, (path, heading) in pages.items():
        browser.get(web.url + path)
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith(heading)
        if name == "overview":  # the charts are drawn by the vendored uPlot; the worker is listed alive
            _until(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".chart .uplot")) == 2)
            assert "alive" in browser.find_element(By.ID, "processes").text
        _shot(browser, name)
        assert _console_errors(browser) == [], name
    # What the pages show
    browser.get(f"{web.url}/runs/{bad}")
    assert "echo 2 was told to fail" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    browser.get(f"{web.url}/runs/{fan}")
    assert "COMPLETED 3" in _live_text(browser)
    browser.get(f"{web.url}/schedules")
    assert browser.find_element(By.CSS_SELECTOR, 'tr[data-job="example-touch"]')
    health.stop()


def test_a_run_submitted_through_the_api_appears_live(web, worker, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{web.url}/runs")
    assert browser.find_elements(By.CSS_SELECTOR, "tr[data-run]") == []
    # When a job is submitted while the page is open
    job_id = _post(web, {"type": "webtest.echo", "payload": {"n": 3}})
    # Then its row appears, and turns COMPLETED, without a reload
    row = f'tr[data-run="{job_id}"]'
    _until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row))
    _until(browser, lambda d: "COMPLETED" in d.find_element(By.CSS_SELECTOR, row).text)
    _shot(browser, "runs-live")
    assert _console_errors(browser) == []


def test_retry_on_a_failed_run_leads_to_the_new_run(web, worker, browser, raw):
    from selenium.webdriver.common.by import By

    failed = _post(web, {"type": "webtest.echo", "payload": {"n": 4, "fail": True}})
    _wait_job(web, failed, "FAILED")
    browser.get(f"{web.url}/runs/{failed}")
    browser.find_element(By.ID, "retry").click()
    _until(browser, lambda d: d.current_url.rstrip("/") != f"{web.url}/runs/{failed}")
    new_id = int(browser.current_url.rsplit("/", 1)[1])
    _until(browser, lambda d: f"run {failed}" in d.find_element(By.ID, "run-live").text)  # "retry of run N"
    with raw.cursor() as cur:
        cur.execute("SELECT retry_of, acted_by, trigger FROM dramaturg.job_history WHERE id = %s", (new_id,))
        assert cur.fetchone() == (failed, "dashboard:local", "manual")
    # The new run's page follows it to its end by itself
    _until(browser, lambda d: d.find_element(By.ID, "run-status").text == "FAILED")
    _shot(browser, "run-retried")
    assert _console_errors(browser) == []


def test_trigger_now_on_the_schedules_page_runs_the_job_and_records_who(web, worker, browser, raw):
    from selenium.webdriver.common.by import By

    browser.get(f"{web.url}/schedules")
    browser.find_element(By.CSS_SELECTOR, 'tr[data-job="example-touch"] button').click()
    _until(browser, lambda d: "/runs/" in d.current_url)
    _until(browser, lambda d: d.find_element(By.ID, "run-status").text == "COMPLETED")
    assert "manual by dashboard:local" in _live_text(browser)
    run_id = int(browser.current_url.rsplit("/", 1)[1])
    with raw.cursor() as cur:
        cur.execute("SELECT job_name, acted_by FROM dramaturg.job_history WHERE id = %s", (run_id,))
        assert cur.fetchone() == ("example-touch", "dashboard:local")
    assert _console_errors(browser) == []


def test_cancel_on_a_delayed_run_cancels_it(web, worker, browser, raw):
    from selenium.webdriver.common.by import By

    job_id = _post(web, {"type": "webtest.echo", "payload": {"n": 7}, "run_at": "2030-01-01T00:00:00Z"})
    browser.get(f"{web.url}/runs/{job_id}")
    browser.find_element(By.ID, "cancel").click()
    _until(browser, lambda d: d.find_element(By.ID, "run-status").text == "CANCELLED")
    assert browser.find_elements(By.ID, "retry")  # a cancelled run can be retried
    with raw.cursor() as cur:
        cur.execute("SELECT status, acted_by FROM dramaturg.job_history WHERE id = %s", (job_id,))
        assert cur.fetchone() == ("cancelled", "dashboard:local")


def test_pages_fit_a_phones_width(web, worker, browser):
    _wait_job(web, _post(web, {"type": "webtest.echo", "payload": {"n": 5}}), "COMPLETED")
    browser.set_window_size(390, 844)
    for name, path in (("phone-overview", "/"), ("phone-runs", "/runs"), ("phone-schedules", "/schedules")):
        browser.get(web.url + path)
        # Wide tables scroll inside their box; the page itself never scrolls sideways
        overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, overflow)
        _shot(browser, name)


def test_with_keys_the_browser_logs_in_and_only_an_admin_sees_actions(web, worker, browser, app):
    from selenium.webdriver.common.by import By

    from shared import api_keys

    with app.engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        admin, _ = api_keys.create(raw, scope="admin", org_id=None, now=app.clock.now())
        acme, _ = api_keys.create(raw, scope="org", org_id="acme", now=app.clock.now())
    failed = _post(web, {"type": "webtest.echo", "payload": {"n": 6, "fail": True}, "org_id": "acme"}, key=acme)
    wait_until(
        lambda: (
            requests.get(
                f"{web.url}/api/jobs/{failed}", headers={"Authorization": f"Bearer {acme}"}, timeout=10
            ).json()["status"]
            == "FAILED"
        )
    )

    def log_in(token: str) -> None:
        browser.delete_all_cookies()
        browser.get(f"{web.url}/runs/{failed}")
        assert "/login" in browser.current_url  # no key yet: sent to log in
        browser.find_element(By.NAME, "key").send_keys(token)
        browser.find_element(By.CSS_SELECTOR, "form.login button").click()
        _until(browser, lambda d: d.current_url.endswith(f"/runs/{failed}"))

    log_in(acme)
    assert browser.find_elements(By.ID, "retry") == []  # an org key sees its run, without actions
    log_in(admin)
    assert browser.find_elements(By.ID, "retry")
    assert admin not in browser.page_source and acme not in browser.page_source
