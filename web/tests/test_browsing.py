"""A product list's state read from its URL and written back into its links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import Flask

from shop_web.browsing import Listing, stock_state, yuan


def app() -> Flask:
    site = Flask(__name__)
    site.add_url_rule("/search", "catalog.search")
    site.add_url_rule("/categories/<int:category_id>", "catalog.category")
    return site


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_prices_in_yuan_go_to_the_api_in_fen_and_bad_ones_unchanged():
    with app().test_request_context("/search?q=水壶&price_min=49.5&price_max=abc&in_stock=1"):
        query = Listing.from_request().api_query()
    assert query["q"] == "水壶"
    assert query["price_min"] == 4950
    assert query["price_max"] == "abc", "the API names what is wrong with it"
    assert query["in_stock"] == "true"
    assert query["sort"] == "relevance"


def test_an_unknown_sort_falls_back_to_relevance():
    with app().test_request_context("/search?q=x&sort=cheapest"):
        assert Listing.from_request().sort == "relevance"


def test_a_change_of_filter_or_sort_drops_the_cursor_but_keeps_the_rest():
    with app().test_request_context("/search?q=茶&brand=狮峰&sort=sales&cursor=abc"):
        listing = Listing.from_request()
        assert query_of(listing.url(sort="price_asc")) == {
            "q": ["茶"], "brand": ["狮峰"], "sort": ["price_asc"]}
        assert "cursor" not in query_of(listing.url(brand=""))
        assert query_of(listing.url(cursor="next"))["cursor"] == ["next"]


def test_a_category_page_links_stay_on_category_paths():
    with app().test_request_context("/categories/11?brand=美的"):
        listing = Listing.from_request(category=11)
        assert listing.api_query()["category"] == 11
        url = listing.url(category=111)
    assert urlsplit(url).path == "/categories/111"
    assert query_of(url) == {"brand": ["美的"]}


def test_stock_states_and_bucket_bounds():
    assert [stock_state(n) for n in (0, -1, 1, 5, 6)] == [
        "sold_out", "sold_out", "low", "low", "ok"]
    assert (yuan(5000), yuan(4950), yuan(None)) == ("50", "49.50", "")
