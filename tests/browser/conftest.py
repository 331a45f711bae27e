"""Browser tests: the real application under gunicorn on a free localhost port, on the same
database as the session `app` fixture, driven by headless Chromium through Playwright.

Every page is watched: a request to any host other than the application's own fails the test
(the app must work offline), and so does an uncaught JavaScript error.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("ZWT_SHOTS_DIR", "/tmp/zwt-shots"))
STEP_SHOTS = os.environ.get("ZWT_SHOTS", "") not in ("", "0")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
STARTUP_SECONDS = 30
CJK = re.compile(r"[\u4e00-\u9fff]")


def chromium_executable() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = chromium_executable()
    if path is None:
        pytest.skip("browser tests need Chromium: no `chromium` executable on PATH or at /usr/bin/chromium "
                    "(Debian: apt-get install chromium)")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.fixture(scope="session")
def live_server(app, chromium_path, tmp_path_factory):
    """Base URL of the app served by gunicorn on the `app` fixture's database and instance dir."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("live_server") / "gunicorn.log"
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url:   # share this process's embedded Redis, as `run.py serve` hands it to its children
        from app.core.jobs import embedded_redis_url, open_embedded_redis

        redis_url = embedded_redis_url(open_embedded_redis(app.config["INSTANCE_DIR"]))
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "ZWT_INSTANCE_DIR": app.config["INSTANCE_DIR"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "RQ_QUEUE": app.config["RQ_QUEUE"],
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "",
        "ZWT_ENV": app.config["ZWT_ENV"],
    })
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
           "--timeout", "60", "--access-logfile", "-", "--no-control-socket", "app:create_app()"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers(base_url + "/login/"):
            if proc.poll() is not None:
                pytest.fail(f"the app exited with code {proc.returncode} while starting:\n{log_path.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer on {base_url} within {STARTUP_SECONDS} s:\n"
                            f"{log_path.read_text()[-4000:]}")
            time.sleep(0.2)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageWatch:
    """Requests to foreign hosts and uncaught script errors of every page of one browser context."""

    def __init__(self, origin: str):
        self.origin = origin
        self.foreign: list[str] = []
        self.script_errors: list[str] = []

    def on_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign.append(f"{request.method} {request.url}")

    def on_page(self, page) -> None:
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))

    def problems(self) -> list[str]:
        return ([f"request to a foreign host: {r}" for r in self.foreign]
                + [f"uncaught script error: {e}" for e in self.script_errors])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def new_context(browser, base_url: str, **options):
    """A fresh browser context (no cookies) on the live app, and the watch on all its pages."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                  **options)
    context.set_default_timeout(10_000)
    watch = PageWatch(base_url)
    context.on("request", watch.on_request)
    context.on("page", watch.on_page)
    return context, watch


@pytest.fixture
def page(browser, live_server, request):
    """A page in a fresh context on the live app; the test fails if any page of the context
    asked a foreign host for anything or hit an uncaught script error."""
    context, watch = new_context(browser, live_server)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(SHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
    context.close()
    problems = watch.problems()
    assert not problems, "\n".join(problems)


@pytest.fixture
def shot(page, request):
    """shot(name): with ZWT_SHOTS=1, a full-page screenshot of the current page to
    /tmp/zwt-shots/<test>-<name>.png (ZWT_SHOTS_DIR changes the folder). Failed tests always
    leave a screenshot there."""

    def _shot(name: str) -> Path | None:
        if not STEP_SHOTS:
            return None
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{request.node.name.removeprefix('test_')}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture(scope="session")
def zh(app):
    """zh(msgid or lazy string, **values): the Simplified Chinese text the app shows. Fails when the
    app has no Chinese translation for it: a Chinese user must not meet English."""

    def _zh(message, **values) -> str:
        from flask_babel import force_locale, gettext

        with app.test_request_context(), force_locale("zh_CN"):
            text = gettext(message, **values) if isinstance(message, str) else str(message)
        assert CJK.search(text), f"no Chinese translation for {message!r} (the zh_CN page shows {text!r})"
        return text

    return _zh


@pytest.fixture(scope="session")
def en(app):
    """en(msgid, **values): the English text the app shows for `msgid`."""

    def _en(message, **values) -> str:
        from flask_babel import force_locale, gettext

        with app.test_request_context(), force_locale("en"):
            return gettext(message, **values) if isinstance(message, str) else str(message)

    return _en


ADMIN = ("admin", "admin-pass-123")


def log_in(page, username: str, password: str) -> None:
    """Sign in through FAB's login form and wait for the signed-in page to have loaded."""
    from playwright.sync_api import expect

    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("form[name=login] [type=submit]").click()
    expect(page.locator("#zwt-notifications")).to_be_visible()
    # The page's scripts have run (its keyboard shortcuts listen) once it has loaded: under load the navbar
    # shows well before that.
    page.wait_for_load_state("load")


@pytest.fixture(scope="session")
def admin_cookies(browser, live_server):
    """The session cookie of the admin, signed in once through the login form."""
    context, watch = new_context(browser, live_server)
    log_in(context.new_page(), *ADMIN)
    cookies = context.cookies()
    context.close()
    assert not watch.problems(), "\n".join(watch.problems())
    return cookies


@pytest.fixture
def as_admin(page, admin_cookies):
    """`page`, signed in as the admin."""
    page.context.add_cookies(admin_cookies)
    return page


def choose(page, field: str, term: str, text: str | None = None) -> None:
    """Choose in a form's search box (a person, a department …): open it, type `term`, click the match showing
    `text` (or `term`)."""
    from playwright.sync_api import expect

    page.locator(f"#select2-{field}-container").click()
    page.locator(".select2-container--open .select2-search__field").fill(term)
    option = page.locator(".select2-results__option", has_text=text or term)
    expect(option).to_have_count(1)
    option.click()
