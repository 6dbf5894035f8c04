"""The bike shop in a real browser: Debian's Chromium, headless, driven by Playwright.

A person's path through the admin -- the bike list, a search, an edit, the change in the
entry's history -- and the API's interactive docs, each page checked for its content and
photographed (the screenshots land in the test's temporary directory). No page may ask
another host for anything: every request the browser makes is checked, and one to
another host fails the test.

The browser is the system's ``chromium`` (``apt-get install chromium``; ``.ci/run``
installs it); Playwright never downloads one. Without it these tests skip, saying so.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHROMIUM = os.environ.get("POLYNOM_CHROMIUM") or next(
    (path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium, as .ci/run does)"
)

MOOTS_RSL = "e7d6473e-e685-515d-847a-73df540182dd"  # the seed's fixed id (seed.sample_id)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """One browser page on the site: what it asked for, and its screenshots."""

    def __init__(self, browser: Any, base_url: str, shots: Path) -> None:
        self.base_url = base_url
        self.shots = shots
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("response", self._response)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.base_url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:  # never let it leave the machine; the test fails on it below
            self.outside.append(url)
            route.abort()

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def open(self, path: str) -> Any:
        self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def photograph(self, name: str) -> None:
        """Screenshot the page and check it shows something: text, and a picture of it."""
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000, f"{name}: the screenshot looks blank"
        text = self.page.evaluate("document.body.innerText")
        assert len(text.strip()) > 50, f"{name}: the page shows (almost) no text: {text!r}"

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], f"pages asked other hosts for {self.outside}"


@pytest.fixture
def visit(browser: Any, shop: SimpleNamespace, tmp_path: Path) -> Iterator[Visit]:
    visit = Visit(browser, shop.url, tmp_path)
    try:
        yield visit
    finally:
        visit.close()


def test_list_search_edit_and_see_the_change_in_the_history(
    visit: Visit, shop: SimpleNamespace
) -> None:
    page = visit.open("/bike/list")
    visit.photograph("1-bikes")
    assert page.get_by_role("heading", name="Bikes").is_visible()
    assert page.locator("table tbody tr").count() >= 10

    page.fill("input[name=q]", "Moots")  # the list's search
    page.press("input[name=q]", "Enter")
    page.wait_for_load_state("networkidle")
    rows = page.locator("table tbody tr")
    assert rows.count() == 2, rows.all_inner_texts()
    assert all("Moots" in text for text in rows.all_inner_texts())
    visit.photograph("2-moots")

    page.get_by_text("Vamoots RSL").click()  # a row opens the entry's page
    page.wait_for_load_state("networkidle")
    assert MOOTS_RSL in page.url
    assert page.locator("#polynom-history").get_by_text("seed").is_visible()
    visit.photograph("3-detail")

    page.locator("a[href*='/bike/edit']").first.click()
    page.wait_for_load_state("networkidle")
    visit.photograph("4-edit")
    page.fill("input[name=price]", "7999.00")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("networkidle")

    page = visit.open(f"/bike/detail?pk={MOOTS_RSL}")
    newest = page.locator("#polynom-history .polynom-change").first
    assert newest.locator(".polynom-change-user").inner_text() == "admin"
    assert newest.locator(".polynom-change-type").inner_text() == "update"
    change = newest.locator(".polynom-field-change").first.inner_text()
    assert "Price" in change and "8900.00" in change and "7999.00" in change
    visit.photograph("5-history")

    with shop.dm.context() as ctx:  # committed, and logged under the admin's user
        assert ctx.dal.bikes.get(MOOTS_RSL).price == Decimal("7999.00")
        assert ctx.dal.bikes.history(MOOTS_RSL)[-1].user == "admin"
    assert [f for f in visit.failed if "/favicon" not in f] == []


def test_a_refused_value_comes_back_to_the_form(visit: Visit, shop: SimpleNamespace) -> None:
    page = visit.open(f"/bike/edit?pk={MOOTS_RSL}")
    page.fill("input[name=brand]", "B" * 41)  # longer than VarChar(40): the model refuses it
    page.evaluate("document.querySelector('input[name=brand]').removeAttribute('maxlength')")
    page.fill("input[name=brand]", "B" * 41)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "VarChar(40)" in page.locator("form").inner_text()
    visit.photograph("refused")
    with shop.dm.context() as ctx:
        assert ctx.dal.bikes.get(MOOTS_RSL).brand == "Moots"  # nothing was written


def test_the_changelog_page_lists_changes_by_who_and_when(visit: Visit) -> None:
    page = visit.open("/changelog/list")
    rows = page.locator("table tbody tr")
    assert rows.count() >= 10  # 13 inserts by "seed", and whatever other tests changed
    visit.photograph("changelog")

    def search(who: str) -> list[str]:
        page.fill("input[name=q]", who)
        page.press("input[name=q]", "Enter")
        page.wait_for_load_state("networkidle")
        return [
            t
            for t in page.locator("table tbody tr").all_inner_texts()
            if "insert" in t or "update" in t
        ]

    seeded = search("seed")
    assert len(seeded) == 13 and all("\tseed\t" in row and "insert" in row for row in seeded)
    assert "Vamoots RSL" in page.locator("table tbody").inner_text()  # each field's new value
    assert search("nobody-at-all") == []


@pytest.mark.parametrize(
    ("path", "ready"),
    [("/api/docs", ".swagger-ui .info"), ("/api/redoc", "#redoc-container h1, redoc h1, h1")],
)
def test_the_api_docs_render_from_local_assets(visit: Visit, path: str, ready: str) -> None:
    page = visit.open(path)
    page.wait_for_selector(ready, timeout=15_000)  # drawn by the scripts: they loaded
    assert "Bike shop" in page.evaluate("document.body.innerText")
    assert "bikes" in page.evaluate("document.body.innerText").lower()
    visit.photograph(path.strip("/").replace("/", "-"))
