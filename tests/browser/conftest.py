"""Headless Chromium for the browser tests: Debian's chromium and chromium-driver, driven by selenium.

One browser per test module (`chrome`), started with no network beyond this machine: every host
name but 127.0.0.1 resolves to nothing and any proxied request goes to a closed port. Every request
the pages make is read from Chrome's performance log, and the console's errors from its browser log.

The browser is found at /usr/bin/chromium and /usr/bin/chromedriver (LAPOR_CHROMIUM and
LAPOR_CHROMEDRIVER name others). Selenium Manager is never asked (it would download a driver).
Without them the tests fail, saying how to install them; LAPOR_SKIP_BROWSER=1 skips them instead,
on a developer's machine that has no Chromium (CI installs it: .ci/run).

The app under test runs on the test's event loop, so every call to the browser (which blocks until
the page has loaded) runs in a thread: `await chrome.open(...)`, `await chrome.click(...)`.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LAPOR_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LAPOR_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTH, HEIGHT = 1366, 900
WAIT = 15.0  # seconds, for anything the page does by itself (a download, the map's drawing)

HOW_TO_INSTALL = (
    "The browser tests (tests/browser) need Chromium and its driver. Install them:\n"
    "    sudo apt-get install chromium chromium-driver        (Debian, Ubuntu)\n"
    "    .venv/bin/pip install -e '.[test]'                    (selenium)\n"
    "or name them with LAPOR_CHROMIUM=/path/to/chromium LAPOR_CHROMEDRIVER=/path/to/chromedriver.\n"
    "To skip these tests on a machine without Chromium, set LAPOR_SKIP_BROWSER=1 (CI never does)."
)

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    f"--window-size={WIDTH},{HEIGHT}",
    "--force-device-scale-factor=1",
    "--lang=en-US",
    # Nothing leaves the machine: no name resolves but 127.0.0.1, and a proxy that is not there.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    # Chrome's own errands (updates, sync, metrics, translation) are not wanted either.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--password-store=basic",
]


def missing_browser() -> str | None:
    """Why the browser cannot be started here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed in this Python."
    for name, path in (("Chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            return f"{name} is not at {path}."
    return None


def threaded(method: Callable[..., Any]) -> Callable[..., Any]:
    """A blocking browser call, run in a thread so the app on the event loop can answer it."""

    @functools.wraps(method)
    async def run(self: Chrome, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(method, self, *args, **kwargs)

    return run


class Chrome:
    """The module's browser, and what it did: the URLs it asked for and its console's errors."""

    def __init__(self, driver: Any, downloads: Path) -> None:
        self.driver = driver
        self.downloads = downloads
        self.base = ""
        self.requests: list[str] = []
        self.console: list[dict] = []

    # --- bookkeeping, between tests ---------------------------------------------------------
    def start(self, base: str, downloads: Path) -> None:
        """A clean browser for a new test against the app at `base`: no cookies, no record."""
        self.base = base.rstrip("/")
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self._drain()
        self.requests.clear()
        self.console.clear()
        downloads.mkdir(parents=True, exist_ok=True)
        self.downloads = downloads
        self.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": str(downloads)})

    def _drain(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])
        self.console += [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def foreign_requests(self) -> list[str]:
        """Every URL asked for that is not this app's (data: and blob: are the page's own)."""
        self._drain()
        own = self.base + "/"
        return [url for url in self.requests if not url.startswith((own, "data:", "blob:"))]

    def console_errors(self) -> list[dict]:
        """The console's errors since last asked, but the browser's own ask for /favicon.ico
        (the dashboard has no icon: a 404 the pages do not make)."""
        self._drain()
        errors, self.console = self.console, []
        return [e for e in errors if "/favicon.ico " not in e.get("message", "")]

    def _url(self, path: str) -> str:
        return path if "://" in path else self.base + path

    # --- the browser, in a thread -------------------------------------------------------------
    @threaded
    def open(self, path: str) -> None:
        self.driver.get(self._url(path))
        self._drain()

    @threaded
    def click(self, css: str) -> None:
        """Clicks what leads to another page, and waits for that page."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        for attempt in range(3):
            page = self.driver.find_element(By.TAG_NAME, "html")
            try:
                self.driver.find_element(By.CSS_SELECTOR, css).click()
                break
            except WebDriverException:
                # The document was still being replaced (a download just finished, say: Chrome
                # answers "node does not belong to the document"); the click did not happen.
                if attempt == 2:
                    raise
                WebDriverWait(self.driver, WAIT).until(
                    lambda d: d.execute_script("return document.readyState") == "complete")
        def replaced(_driver: Any) -> bool:
            # Stale, or (under load, seen in CI) Chrome's "node does not belong to the document":
            # either way the old page is gone, which is what waiting for staleness means.
            try:
                page.is_enabled()
            except WebDriverException:
                return True
            return False

        WebDriverWait(self.driver, WAIT).until(replaced)
        WebDriverWait(self.driver, WAIT).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        self._drain()

    @threaded
    def tick(self, css: str, on: bool = True) -> None:
        from selenium.webdriver.common.by import By

        box = self.driver.find_element(By.CSS_SELECTOR, css)
        if box.is_selected() != on:
            box.click()

    @threaded
    def choose(self, name: str, value: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        Select(self.driver.find_element(By.CSS_SELECTOR, f"select[name='{name}']")).select_by_value(value)

    @threaded
    def texts(self, css: str) -> list[str]:
        from selenium.webdriver.common.by import By

        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)]

    async def text(self, css: str) -> str:
        found = await self.texts(css)
        assert found, f"nothing on the page matches {css!r}"
        return found[0]

    @threaded
    def source(self) -> str:
        return self.driver.page_source

    @threaded
    def path(self) -> str:
        url = self.driver.current_url
        return url[len(self.base):] if url.startswith(self.base) else url

    @threaded
    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    @threaded
    def wait_for(self, script: str, what: str, timeout: float = WAIT) -> Any:
        """Until `script` returns something true (then that); fails naming `what`."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, timeout).until(lambda d: d.execute_script(script))
        except TimeoutException:
            raise AssertionError(f"waited {timeout:.0f} s for {what}") from None

    @threaded
    def download(self, css: str) -> Path:
        """Clicks a download link; the file, once whole, in this test's download folder."""
        from selenium.webdriver.common.by import By

        before = set(self.downloads.iterdir())
        self.driver.find_element(By.CSS_SELECTOR, css).click()
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            new = [p for p in set(self.downloads.iterdir()) - before if not p.name.endswith(".crdownload")]
            if new:
                self._drain()
                return new[0]
            time.sleep(0.05)
        raise AssertionError(f"no file was downloaded into {self.downloads} within {WAIT:.0f} s")

    @threaded
    def screenshot(self, name: str) -> Path:
        """The whole page, 1366 wide, to docs/screenshots/<name>.png."""
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        height = min(math.ceil(metrics["cssContentSize"]["height"]), 6000)
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": max(height, 1), "scale": 1}})
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


def _cannot_go_out(driver: Any) -> None:
    """The browser is really cut off: an address on the internet does not load."""
    from selenium.common.exceptions import WebDriverException

    try:
        driver.get("http://example.com/")
    except WebDriverException as e:
        assert "ERR_PROXY_CONNECTION_FAILED" in str(e) or "ERR_NAME_NOT_RESOLVED" in str(e), e
    else:
        raise AssertionError("the browser loaded http://example.com/: it is not cut off from the network")


@pytest.fixture(scope="module")
def chrome(tmp_path_factory):
    if os.environ.get("LAPOR_SKIP_BROWSER") == "1":
        pytest.skip("LAPOR_SKIP_BROWSER=1: the browser tests are skipped")
    problem = missing_browser()
    if problem:
        pytest.fail(f"{problem}\n{HOW_TO_INSTALL}", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    downloads = tmp_path_factory.mktemp("downloads")
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # The driver's path given: Selenium Manager is not asked (it would go to the internet).
    service = Service(executable_path=CHROMEDRIVER, log_output=str(downloads.parent / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        _cannot_go_out(driver)
        yield Chrome(driver, downloads)
    finally:
        driver.quit()
        shutil.rmtree(downloads, ignore_errors=True)
