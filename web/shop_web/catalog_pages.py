"""Browsing the shop: the category tree, a category's products, search with facets,
filters, sorts and "load more", the search box's suggestions, and the product page.

Every list state is a GET URL (:mod:`shop_web.browsing`); htmx only enhances: "load more"
appends the next page's cards, the suggestions fill the layout's drop-down, and picking a
SKU redraws the buy box with that SKU's price and stock.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from shop_web import gateway_client as api
from shop_web.browsing import SORTS, Listing, category_name, index_tree, stock_state, yuan
from shop_web.campaigns import running
from shop_web.i18n import texts
from shop_web.marketing_pages import running_promotions
from shop_web.offers import applies_to
from shop_web.tracking import EventType, record

pages = Blueprint("catalog", __name__)

texts({
    "catalog.categories": ("全部分类", "All categories"),
    "catalog.search_title": ("“{q}”的搜索结果", "Results for “{q}”"),
    "catalog.all_products": ("全部商品", "All products"),
    "catalog.count": ("共 {n} 件商品", "{n} products"),
    "catalog.filters": ("筛选", "Filters"),
    "catalog.brand": ("品牌", "Brand"),
    "catalog.category": ("分类", "Category"),
    "catalog.price": ("价格", "Price"),
    "catalog.price_min": ("最低价（元）", "Lowest price (yuan)"),
    "catalog.price_max": ("最高价（元）", "Highest price (yuan)"),
    "catalog.in_stock": ("仅显示有货", "In stock only"),
    "catalog.apply": ("应用筛选", "Apply filters"),
    "catalog.clear": ("清除筛选", "Clear filters"),
    "catalog.any": ("不限", "Any"),
    "catalog.and_up": ("{low} 以上", "{low} and up"),
    "catalog.sort": ("排序", "Sort by"),
    "catalog.sort.relevance": ("综合", "Relevance"),
    "catalog.sort.price_asc": ("价格从低到高", "Price: low to high"),
    "catalog.sort.price_desc": ("价格从高到低", "Price: high to low"),
    "catalog.sort.sales": ("销量", "Best selling"),
    "catalog.sort.newest": ("新品", "Newest"),
    "catalog.sort.rating": ("好评", "Top rated"),
    "catalog.sort_apply": ("排序", "Sort"),
    "catalog.empty": ("没有找到相关商品", "No products found"),
    "catalog.empty_query": ("没有找到与“{q}”相关的商品。", "Nothing matches “{q}”."),
    "catalog.empty_hint": ("换个关键词试试，或者清除筛选条件。",
                           "Try other words, or clear the filters."),
    "catalog.did_you_mean": ("您是不是要找：", "Did you mean:"),
    "catalog.popular": ("大家都在买", "Popular right now"),
    "catalog.sold_out": ("已售罄", "Sold out"),
    "catalog.only_left": ("仅剩 {n} 件", "Only {n} left"),
    "catalog.in_stock_badge": ("有货", "In stock"),
    "catalog.sales": ("已售 {n}", "{n} sold"),
    "catalog.rating": ("{avg} 分（{n} 条评价）", "{avg} stars ({n} reviews)"),
    "catalog.no_rating": ("暂无评分", "No ratings yet"),
    "catalog.next_page": ("加载更多", "Load more"),
    "catalog.end": ("已经到底了", "That is everything"),
    "catalog.subcategories": ("子分类", "Subcategories"),
    "catalog.problem": ("筛选条件有误：", "A filter is not right:"),
    "product.quantity": ("数量", "Quantity"),
    "product.add_to_cart": ("加入购物车", "Add to cart"),
    "product.pictures": ("商品图片", "Pictures"),
    "product.picture_n": ("商品图 {n}", "Picture {n}"),
    "product.details": ("商品详情", "Details"),
    "product.reviews": ("商品评价", "Reviews"),
    "product.review_count": ("共 {n} 条评价", "{n} reviews"),
    "product.stars": ("{n} 星", "{n} stars"),
    "product.no_reviews": ("还没有评价", "No reviews yet"),
    "product.reviews_unavailable": ("评价暂时无法显示", "Reviews cannot be shown right now"),
    "product.recommended": ("看了又看", "You may also like"),
    "catalog.attr.colour": ("颜色", "Colour"),
    "catalog.attr.color": ("颜色", "Colour"),
    "catalog.attr.size": ("尺码", "Size"),
    "catalog.attr.model": ("型号", "Model"),
    "catalog.attr.capacity": ("容量", "Capacity"),
    "catalog.attr.weight": ("重量", "Weight"),
})


@pages.get("/categories")
def categories() -> str:
    tree = api.get("/categories")["items"]
    return render_template("catalog/tree.html", tree=tree, category_name=category_name)


@pages.get("/categories/<int:category_id>")
def category(category_id: int) -> tuple[str, int] | str:
    tree = index_tree(api.get("/categories")["items"])
    node = tree.get(category_id)
    if node is None:
        abort(404)
    return _listing(Listing.from_request(category=category_id), tree, node)


@pages.get("/search")
def search() -> tuple[str, int] | str:
    tree = index_tree(api.get("/categories")["items"])
    listing = Listing.from_request()
    page = _listing(listing, tree, tree.get(listing.category) if listing.category else None)
    if listing.q and not listing.cursor:  # a search typed, not its next page
        record(EventType.SEARCH, props={"query": listing.q[:200]})
    return page


@pages.get("/search/suggest")
def suggest() -> str:
    """The drop-down under the search box: a fragment of links (the layout's htmx input
    swaps it into ``#suggestions``); nothing for an empty box."""
    q = request.args.get("q", "").strip()[:50]
    items = api.get("/search/suggest", q=q, limit=8)["items"] if q else []
    return render_template("catalog/suggest.html", items=items, q=q)


@pages.get("/products/<int:product_id>")
def product(product_id: int) -> str:
    found = api.get(f"/products/{product_id}")
    skus = found.get("skus") or []
    wanted = request.args.get("sku")
    chosen = next((s for s in skus if s["sku"] == wanted), None) or next(
        (s for s in skus if s["available"] > 0), skus[0] if skus else None)
    part = _htmx_part("buy")
    template = "catalog/_buy_box.html" if part else "catalog/product.html"
    promotions = [] if part else [p for p in running_promotions()
                                  if applies_to(p.get("scope"), found)]
    if not part:  # picking another SKU redraws the buy box: not another view
        record(EventType.PAGE_VIEW, product_id=product_id)
    return render_template(template, product=found, skus=skus, chosen=chosen,
                           stock_state=stock_state, category_name=category_name,
                           axes=_axes(skus), next_url=request.full_path.rstrip("?"),
                           promotions=promotions,
                           campaigns=[] if part else _campaigns_of(found, skus))


def _campaigns_of(product: dict[str, Any], skus: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The running group buys and flash items of this product (by its id or a SKU of it):
    ``{kind, href, price}`` for links beside the buy box."""
    mine = {s["sku"] for s in skus}

    def ours(entry: dict[str, Any]) -> bool:
        return entry.get("product_id") == product.get("id") or entry.get("sku") in mine

    found = [{"kind": "group_buy", "href": f"/group-buys/{c['id']}", "price": c["group_price"],
              "size": c.get("group_size")} for c in running("/group-buys") if ours(c)]
    found += [{"kind": "flash_sale", "href": "/flash-sales", "price": item["flash_price"],
               "state": s.get("state")}
              for s in running("/flash-sales") for item in s.get("items") or [] if ours(item)]
    return found


def _listing(listing: Listing, tree: dict[int, dict[str, Any]],
             node: dict[str, Any] | None) -> tuple[str, int] | str:
    problem, status = None, 200
    try:
        found = api.get("/products", **listing.api_query())
    except api.ApiProblem as error:
        if error.status != 422:
            raise
        # A filter the API refused (a price that is no number, min above max): the page
        # stays, with what was typed and what is wrong with it.
        problem, status = error, 422
        found = {"items": [], "facets": {}, "next_cursor": None}
    context = {"listing": listing, "page": found, "node": node, "tree": tree,
               "sorts": SORTS, "yuan": yuan, "category_name": category_name,
               "problem": problem}
    if listing.cursor and _htmx_part("results"):
        return render_template("catalog/_more.html", **context), status
    if not found["items"] and not listing.cursor and problem is None:
        context["popular"] = api.get("/products", sort="sales", limit=5)["items"]
        context["suggestions"] = (api.get("/search/suggest", q=listing.q[:50], limit=5)["items"]
                                  if listing.q else [])
    return render_template("catalog/listing.html", **context), status


def _htmx_part(name: str) -> bool:
    """Whether htmx asked for one part of a page (its ``hx-target`` names it), not a page."""
    return request.headers.get("HX-Request") == "true" and \
        request.headers.get("HX-Target", "") == name


def _axes(skus: list[dict[str, Any]]) -> list[str]:
    """The attributes that tell this product's SKUs apart (colour, size...), in order."""
    names: list[str] = []
    for sku in skus:
        for key in sku.get("attributes") or {}:
            if key not in names:
                names.append(key)
    if len(skus) < 2:
        return names
    return [k for k in names if len({(s.get("attributes") or {}).get(k) for s in skus}) > 1]
