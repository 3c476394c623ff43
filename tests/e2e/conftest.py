"""Browser tests: Playwright (Python) driving Debian's chromium against the app under
pytest-django's live server. Playwright never downloads a browser here: the executable is
/usr/bin/chromium (or $CHROMIUM), which `.ci/run` installs from Debian's packages.

Screenshots of each journey go to artifacts/e2e/ (ignored by git; CI keeps them as artefacts).
Without chromium these tests are skipped with the reason in the summary, except where
E2E_REQUIRED=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
PASSWORD = "browser-test-password-2014"
# The flags this machine needs: no sandbox as root, and no background calls to Google's hosts,
# which a closed network refuses (see the environment notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    candidate = os.environ.get("CHROMIUM") or shutil.which("chromium")
    return candidate if candidate and Path(candidate).exists() else None


@pytest.fixture
def browser(_sync_orm_beside_playwright):
    """A fresh chromium per test: Playwright's event loop must not outlive the test, or every
    later test's database access would look like it came from async code."""
    executable = _chromium()
    if executable is None:
        message = "needs Debian's chromium (apt-get install chromium) or $CHROMIUM"
        if os.environ.get("E2E_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
        # The ORM calls the test made while Playwright ran live in a connection of their own
        # context (Django keeps connections per context); close it here, in that context, or it
        # outlives the test and PostgreSQL cannot drop the test database at the end.
        from django.db import connections

        connections.close_all()


class Journey:
    """A page plus numbered screenshots named after the test: artifacts/e2e/<test>/NN-step.png."""

    def __init__(self, page, name: str, base_url: str) -> None:
        self.page, self.base_url, self._step = page, base_url, 0
        self.folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
        # Only this run's screenshots: none left over from an earlier run's other steps.
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def shot(self, step: str) -> Path:
        self._step += 1
        target = self.folder / f"{self._step:02d}-{step}.png"
        self.page.screenshot(path=str(target), full_page=True)
        return target

    def login(self, username: str, password: str = PASSWORD, *, code: str = "") -> None:
        self.goto("/accounts/login/")
        self.page.get_by_label(re.compile("username", re.I)).fill(username)
        self.page.get_by_label(re.compile("^password", re.I)).fill(password)
        if code:
            self.page.get_by_label(re.compile("code", re.I)).fill(code)
        self.page.get_by_role("button", name=re.compile("log in", re.I)).click()
        self.page.wait_for_load_state()

    def login_with_code(self, user, password: str = PASSWORD) -> None:
        """Log in with the TOTP code that supervisors, auditors and administrators must give,
        computed as an authenticator app would from a device enrolled for the user (as the
        root conftest's `web_login` does)."""
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from access.second_factor import totp_device_enrol

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or totp_device_enrol(user=user)
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.login(user.get_username(), password, code=f"{code:0{device.digits}d}")

    def logout(self) -> None:
        """Forget the session (the log-out button itself is tested in test_login), so that the
        next person can log in on the same page."""
        self.page.context.clear_cookies()

    def use_language(self, code: str) -> None:
        """Read the site in `code` from the next page on: with the language switcher of the
        page (templates/base.html: a button per language, named in its own script), or, on a
        page without one, through the cookie it sets."""
        from django.conf import settings

        button = self.page.get_by_role("button", name=dict(settings.LANGUAGES)[code], exact=True)
        if button.count():
            with self.page.expect_navigation():
                button.click()
            return
        host = self.base_url.split("//", 1)[1].split(":")[0]
        self.page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "domain": host, "path": "/"}]
        )

    def has_no_horizontal_scroll(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture(autouse=True)
def _sync_orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests
    make between browser steps are still synchronous, so Django's guard against async contexts
    does not apply. Set for each browser test only, never for the rest of the suite (a
    subprocess that inherited it would fail `check --deploy`)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def journey(browser, live_server, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Journey(page, request.node.name, live_server.url)
    context.close()


@pytest.fixture
def phone_journey(browser, live_server, request):
    """A 360 px wide phone, the narrowest screen the UI supports."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Journey(page, request.node.name, live_server.url)
    context.close()


@pytest.fixture
def person(offices):
    """make(username, role, *office_codes) -> a user who logs in with PASSWORD."""
    from access.services import user_create

    def make(username: str, role: str, *office_codes: str):
        return user_create(
            username=username, role=role, offices=list(office_codes), password=PASSWORD
        )

    return make
