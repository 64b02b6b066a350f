"""Fixtures for the browser tests: Debian's Chromium through Playwright, the demo world re-loaded
into the live server's database (``transactional_db`` flushes it), and axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from govdesk.organisations.models import Region
from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: install Debian's chromium package")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture
def static_files(settings: Any) -> None:
    """The site's own static files (site.css, htmx) live in src/govdesk/static, which is not an
    app's static folder; if no finder sees them, point one at it for the live server."""
    from django.contrib.staticfiles import finders

    import govdesk

    if finders.find("govdesk/htmx.min.js") is None:
        settings.STATICFILES_DIRS = [Path(govdesk.__file__).resolve().parent / "static"]


@pytest.fixture
def demo_world(transactional_db: None, static_files: None) -> dict[str, Region]:
    """The catalogue, demo city, staff and personas, loaded again for this test (the loaders
    upsert, so this works whether an earlier transactional test flushed the database or not)."""
    from govdesk.demo.loader import catalogue_load, personas_load, regions_load, staff_load

    catalogue_load()
    regions = regions_load()
    staff_load(regions, PASSWORD)
    personas_load(regions)
    return regions


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API keeps an event loop in this thread; the test itself reads the
    # database synchronously (never concurrently with the loop), which Django must allow.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def opened_page(browser: Any, **options: Any) -> Iterator[Any]:
    """A page in a context of its own, that fails the test if the browser reports anything the
    Content-Security-Policy refused (an inline script or style, a handler attribute, …)."""
    context = browser.new_context(**options)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    refused: list[str] = []

    def note(message: Any) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{opened.url}: {message.text}")

    opened.on("console", note)
    try:
        yield opened
    finally:
        context.close()
    assert not refused, refused


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with opened_page(
        browser, locale="zh-CN", viewport={"width": 1280, "height": 900}, device_scale_factor=1
    ) as opened:
        yield opened


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A phone-sized page (390×844, touch), reading Simplified Chinese, no cookies yet."""
    with opened_page(
        browser,
        locale="zh-CN",
        viewport=PHONE,
        device_scale_factor=1,
        has_touch=True,
        is_mobile=True,
    ) as opened:
        yield opened


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the given impacts on the current page, one line each. axe is
    evaluated through the DevTools protocol rather than added as a script element, which the
    page's Content-Security-Policy would refuse."""
    if page.evaluate("() => typeof axe") == "undefined":
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in impacts
    ]
