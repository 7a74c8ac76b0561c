"""A real browser for the web pages: Debian's Chromium driven by Playwright.

``playwright install`` cannot download browsers here, so the browser is the system's
(``apt-get install chromium``; ``.ci/run`` installs it), named by ``CHROMIUM`` or found on
the PATH. Screenshots of the main pages go to ``$TEST_OUTPUT_DIR/screenshots`` (by default
``test-output/screenshots`` in the checkout) at desktop width and at 360 px, for a reviewer.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    if not found:
        raise RuntimeError("no Chromium: `apt-get install chromium` (or set CHROMIUM)")
    return found


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("TEST_OUTPUT_DIR") or ROOT / "test-output") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshots(page: Page, name: str) -> None:
    """The page as it is now, at desktop width and at 360 px (then back to desktop)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    folder = screenshot_dir()
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(folder / f"{safe}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(folder / f"{safe}-360.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def new_page(browser: Browser, base_url: str, *, width: int = DESKTOP["width"]) -> Page:
    """A page in a fresh context (no cookies: a new visitor), resolving paths against the
    gateway, failing a test that waits more than 30 s for anything."""
    context = browser.new_context(base_url=base_url, locale="zh-CN",
                                  viewport={"width": width, "height": DESKTOP["height"]})
    context.set_default_timeout(30_000)
    return context.new_page()


def sign_in(page: Page, login: str, password: str) -> None:
    """Sign in through the storefront's form, as a shopper does (ends on the home page)."""
    page.goto("/account/sign-in")
    page.get_by_label("邮箱或手机号").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")
