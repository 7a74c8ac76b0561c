"""The home page: the way into the shop (category navigation, search, featured products).

Three shelves of the catalog as it is now: best sellers, the newest and the best rated
(each one GET /products with a sort); the search box with its suggestions is the layout's.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from shop_web import gateway_client as api
from shop_web.browsing import category_name
from shop_web.campaigns import running
from shop_web.i18n import texts
from shop_web.marketing_pages import running_promotions

pages = Blueprint("home", __name__)
SHELF_SIZE = 8
SHELVES = (("sales", "home.best_sellers"), ("newest", "home.newest"), ("rating", "home.top_rated"))

texts({
    "home.categories": ("商品分类", "Shop by category"),
    "home.best_sellers": ("热销榜", "Best sellers"),
    "home.newest": ("新品上架", "New arrivals"),
    "home.top_rated": ("口碑好物", "Top rated"),
    "home.more": ("查看更多", "See more"),
})


@pages.get("/")
def index() -> str:
    categories = api.get("/categories")["items"]
    shelves = [(sort, title, api.get("/products", limit=SHELF_SIZE, sort=sort)["items"])
               for sort, title in SHELVES]
    return render_template("home/index.html", categories=categories, shelves=shelves,
                           category_name=category_name, promotions=running_promotions(),
                           group_buys=running("/group-buys"), flash_sales=running("/flash-sales"))
