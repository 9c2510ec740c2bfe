"""`make run`'s /docs in a real headless Chromium: offline Swagger UI, demo sign-in, a create through the page."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from local.demo import DEMO_IMPORT
from tests.e2e.local_server import ROOT, LocalServer, start_local_server

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
# Set to a path to keep the screenshot (the README's is made this way).
SCREENSHOT = os.environ.get("DOCS_SCREENSHOT")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    running = start_local_server()
    yield running
    assert running.stop() == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    assert CHROMIUM, "make test needs Debian's chromium and chromium-driver (.ci/run installs them)"
    assert CHROMEDRIVER, "make test needs Debian's chromium-driver (.ci/run installs it)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="neptun-docs-")
    # Headless, and no background connections: this machine has no network beyond localhost.
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(browser: WebDriver, css: str, timeout: float = 30) -> WebElement:
    found: WebElement = WebDriverWait(browser, timeout).until(
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
    )
    return found


def try_operation(browser: WebDriver, operation: WebElement, body: object | None = None) -> WebElement:
    """Expand an operation, fill the demo project's path, send it; its live response row."""
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    operation.find_element(By.CSS_SELECTOR, "button.try-out__btn").click()
    for name, value in (("user_id", "1"), ("project_id", "789")):
        field = operation.find_element(By.CSS_SELECTOR, f'tr[data-param-name="{name}"] input')
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(value)
    if body is not None:
        text = operation.find_element(By.CSS_SELECTOR, "textarea.body-param__text")
        text.send_keys(Keys.CONTROL, "a")  # the example Swagger UI filled in; clear() leaves React's state
        text.send_keys(Keys.DELETE)
        text.send_keys(json.dumps(body))
    operation.find_element(By.CSS_SELECTOR, "button.execute").click()
    response: WebElement = WebDriverWait(browser, 30).until(
        lambda _: operation.find_element(By.CSS_SELECTOR, ".live-responses-table .response")
    )
    return response


def test_docs_creates_and_lists_an_import_through_the_page(server: LocalServer, browser: WebDriver) -> None:
    browser.get(server.base_url + "/docs")
    wait_for(browser, "#sign-in").click()  # the local-only demo sign-in: sets the cookie, returns here
    assert "Signed in" in wait_for(browser, "#session").text
    create = wait_for(browser, ".opblock-post")
    created = try_operation(browser, create, {"source_type": "local_folder", "source_path": "from/the/docs/page"})
    assert created.find_element(By.CSS_SELECTOR, ".response-col_status").text.strip() == "201", created.text
    assert "from/the/docs/page" in created.text
    listing = browser.find_elements(By.CSS_SELECTOR, ".opblock-get")[0]
    listed = try_operation(browser, listing)
    assert listed.find_element(By.CSS_SELECTOR, ".response-col_status").text.strip() == "200"
    assert "from/the/docs/page" in listed.text
    if SCREENSHOT:
        browser.execute_script("arguments[0].scrollIntoView()", create)
        browser.save_screenshot(str(ROOT / SCREENSHOT))


def test_the_page_loads_nothing_from_outside(server: LocalServer, browser: WebDriver) -> None:
    browser.get(server.base_url + "/docs")
    wait_for(browser, ".opblock-post")
    loaded: list[str] = browser.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
    )
    assert loaded
    # Only this server, and images Swagger UI's stylesheet carries inline (data: URIs).
    assert all(name.startswith((server.base_url, "data:")) for name in loaded), loaded
    assert any(name.endswith("/docs/assets/swagger-ui-bundle.js") for name in loaded)


def test_sign_in_is_local_only_and_sets_an_http_only_cookie(server: LocalServer) -> None:
    import httpx  # noqa: PLC0415

    answer = httpx.get(server.base_url + "/docs/sign-in")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/docs"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"neptun-session={server.session_token};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    handlers = (ROOT / "src").rglob("*.py")
    assert not any("/docs/sign-in" in Path(module).read_text(encoding="utf-8") for module in handlers)


def execute_as_prefilled(browser: WebDriver, operation: WebElement) -> str:
    """Expand an operation, press Try it out and Execute without touching a field; the status."""
    browser.execute_script("arguments[0].scrollIntoView()", operation)
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    operation.find_element(By.CSS_SELECTOR, "button.try-out__btn").click()
    operation.find_element(By.CSS_SELECTOR, "button.execute").click()
    response: WebElement = WebDriverWait(browser, 30).until(
        lambda _: operation.find_element(By.CSS_SELECTOR, ".live-responses-table .response")
    )
    return response.find_element(By.CSS_SELECTOR, ".response-col_status").text.strip()


def test_every_routes_prefilled_example_succeeds_on_the_demo_data(browser: WebDriver) -> None:
    running = start_local_server()  # its own: the last example deletes the demo import
    browser.delete_all_cookies()  # cookies ignore ports: the other server's sign-in would count here
    try:
        assert running.import_when_done(DEMO_IMPORT.id)["status"] == "completed"
        browser.get(running.base_url + "/docs")
        wait_for(browser, "#sign-in").click()
        wait_for(browser, ".opblock-post")
        operations = {
            f"{element.find_element(By.CSS_SELECTOR, '.opblock-summary-method').text} "
            f"{element.find_element(By.CSS_SELECTOR, '.opblock-summary-path').get_attribute('data-path')}": element
            for element in browser.find_elements(By.CSS_SELECTOR, ".opblock")
        }
        imports = "/api/users/{user_id}/projects/{project_id}/resources/imports"
        expected = [
            (f"POST {imports}", "201"),
            (f"GET {imports}", "200"),
            (f"GET {imports}/{{import_id}}", "200"),
            (f"PUT {imports}/{{import_id}}", "200"),
            (f"POST {imports}/{{import_id}}/refresh", "202"),
            # The demo import reads its repository: only a local_folder import takes an upload (its form
            # is tested in test_importing_over_http.py).
            (f"POST {imports}/{{import_id}}/upload", "409"),
            # The last completed run's files, while the refresh's run is pending.
            (f"GET {imports}/{{import_id}}/files", "200"),
            (f"GET {imports}/{{import_id}}/files/{{path}}", "200"),
            (f"GET {imports}/{{import_id}}/context", "200"),
            (f"GET {imports.removesuffix('/imports')}/context", "200"),
            (f"DELETE {imports}/{{import_id}}", "204"),
        ]
        assert sorted(operations) == sorted(route for route, _ in expected)
        answered = [(route, execute_as_prefilled(browser, operations[route])) for route, _ in expected]
        assert answered == expected
    finally:
        browser.delete_all_cookies()
        assert running.stop() == 0


def test_the_page_says_how_to_sign_in_and_what_its_curl_lines_lack(server: LocalServer, browser: WebDriver) -> None:
    browser.delete_all_cookies()
    browser.get(server.base_url + "/docs")
    text = wait_for(browser, "#session").text
    assert "Sign in as the demo user" in text
    assert "Authorize" in text  # why not Swagger's own button: it cannot set a cookie
    assert "Cookie: neptun-session=" in text  # the curl lines the page shows carry no cookie
