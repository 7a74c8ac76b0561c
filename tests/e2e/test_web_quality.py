"""What every storefront page owes a person, checked in the browser on the main pages:
under 300 KB on first load (product pictures aside), usable at 360 px without sideways
scrolling, every form control labelled, pictures that keep their place while loading,
and the keyboard reaching the search box first after the skip link."""

from __future__ import annotations

import pytest
import requests

from browser import PHONE

PAGE_BUDGET_BYTES = 300 * 1024


def storefront_pages(stack) -> list[str]:
    product = requests.get(stack.url("/api/v1/products"), params={"limit": 1}).json()["items"][0]
    return ["/", "/search?q=%E6%89%8B%E6%9C%BA", f"/products/{product['id']}", "/cart",
            "/account/sign-in", "/account/sign-up", "/categories"]


def test_each_page_loads_under_its_weight_budget(stack, browser):
    from browser import new_page

    for path in storefront_pages(stack):
        tab = new_page(browser, stack.gateway)  # a first visit: nothing cached
        sizes: dict[str, int] = {}

        def count(response, sizes=sizes):  # type: ignore[no-untyped-def]
            if response.request.resource_type != "image":
                sizes[response.url] = len(response.body())

        tab.on("response", count)
        tab.goto(path, wait_until="networkidle")
        total = sum(sizes.values())
        tab.context.close()
        assert 0 < total <= PAGE_BUDGET_BYTES, f"{path}: {total} bytes ({sizes})"


@pytest.mark.parametrize("width", [PHONE["width"], 1280])
def test_pages_fit_the_screen_label_their_controls_and_size_their_pictures(stack, browser,
                                                                           width):
    from browser import new_page

    tab = new_page(browser, stack.gateway, width=width)
    for path in storefront_pages(stack):
        tab.goto(path)
        overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
        unlabelled = tab.evaluate("""() => [...document.querySelectorAll(
              'input:not([type=hidden]), select, textarea')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                         && !e.getAttribute('aria-labelledby'))
            .map(e => e.name || e.id || e.outerHTML.slice(0, 80))""")
        assert unlabelled == [], f"{path}: controls without a label: {unlabelled}"
        unsized = tab.evaluate("""() => [...document.images]
            .filter(i => !(i.getAttribute('width') && i.getAttribute('height')))
            .map(i => i.src)""")
        assert unsized == [], f"{path}: pictures without width and height: {unsized}"
        unnamed = tab.evaluate("""() => [...document.querySelectorAll('button, a[href]')]
            .filter(e => !(e.innerText.trim() || e.getAttribute('aria-label')
                           || e.querySelector('img[alt]:not([alt=""])')))
            .map(e => e.outerHTML.slice(0, 80))""")
        assert unnamed == [], f"{path}: buttons or links without a name: {unnamed}"
    tab.context.close()


def test_the_first_tab_stop_skips_to_the_main_content(stack, page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)"), \
        "after the skip link, the next stop is inside the main content, past the header"
