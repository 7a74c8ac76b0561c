"""The home page: the way into the shop (category navigation, search, featured products)."""

from __future__ import annotations

from flask import Blueprint, render_template

from shop_web import gateway_client as api

pages = Blueprint("home", __name__)


@pages.get("/")
def index() -> str:
    categories = api.get("/categories")
    featured = api.get("/products", limit=10, sort="sales")
    return render_template("home/index.html", categories=categories, featured=featured["items"])
