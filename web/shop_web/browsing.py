"""What a product list page asks the API for, read from (and written back into) its URL.

A search, a category and every facet, filter, sort and "load more" link are plain GET
URLs, so each state of a list can be bookmarked, shared and reached without JavaScript.
Prices are in yuan in the URL (what a shopper types) and in fen for the API.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request, url_for

from shop_web.i18n import language

SORTS = ("relevance", "price_asc", "price_desc", "sales", "newest", "rating")
PAGE_SIZE = 20
LOW_STOCK = 5  # at or below this, a SKU says how many are left


@dataclass(frozen=True)
class Listing:
    """One state of a product list: the query, the filters, the sort and the page."""

    q: str = ""
    category: int | None = None
    brand: str = ""
    price_min: str = ""
    price_max: str = ""
    in_stock: bool = False
    sort: str = "relevance"
    cursor: str = ""

    @classmethod
    def from_request(cls, category: int | None = None) -> Listing:
        args = request.args
        sort = args.get("sort", "relevance")
        return cls(q=args.get("q", "").strip()[:100],
                   category=category if category is not None else args.get("category", type=int),
                   brand=args.get("brand", "").strip(), price_min=args.get("price_min", "").strip(),
                   price_max=args.get("price_max", "").strip(),
                   in_stock=args.get("in_stock") in ("1", "true", "on"),
                   sort=sort if sort in SORTS else "relevance", cursor=args.get("cursor", ""))

    def api_query(self) -> dict[str, Any]:
        """The GET /products query string (empty values are left out by the client)."""
        return {"q": self.q, "category": self.category, "brand": self.brand,
                "price_min": _fen(self.price_min), "price_max": _fen(self.price_max),
                "in_stock": "true" if self.in_stock else None, "sort": self.sort,
                "cursor": self.cursor, "limit": PAGE_SIZE}

    @property
    def filtered(self) -> bool:
        return bool(self.brand or self.price_min or self.price_max or self.in_stock)

    def url(self, **changes: Any) -> str:
        """This list's URL with ``changes`` applied; any change but the cursor starts again
        from the first page (a cursor belongs to one query and sort)."""
        state = replace(self, **{"cursor": "", **changes})
        args = {"q": state.q, "brand": state.brand, "price_min": state.price_min,
                "price_max": state.price_max, "in_stock": "1" if state.in_stock else "",
                "sort": "" if state.sort == "relevance" else state.sort, "cursor": state.cursor}
        args = {k: v for k, v in args.items() if v}
        endpoint = request.endpoint or "catalog.search"
        if endpoint == "catalog.category":
            return url_for(endpoint, category_id=state.category, **args)
        if state.category:
            args["category"] = state.category
        return url_for("catalog.search", **args)

    def hidden_fields(self, *names: str) -> list[tuple[str, str]]:
        """The state a filter form must carry along besides its own inputs."""
        values = {"q": self.q, "brand": self.brand,
                  "sort": "" if self.sort == "relevance" else self.sort,
                  "category": str(self.category or "") if request.endpoint != "catalog.category"
                  else ""}
        return [(name, values[name]) for name in names if values.get(name)]


def _fen(yuan: str) -> int | str | None:
    """``"99.5"`` -> 9950; a value that is no number goes to the API as it is, which
    answers with a problem that names the field."""
    if not yuan:
        return None
    try:
        return int(Decimal(yuan) * 100)
    except (InvalidOperation, ValueError):
        return yuan


def yuan(fen: int | None) -> str:
    """A price bucket's bound in the URL's unit."""
    if fen is None:
        return ""
    whole, part = divmod(fen, 100)
    return str(whole) if not part else f"{whole}.{part:02d}"


def category_name(node: dict[str, Any]) -> str:
    return (node.get("name_en") if language() == "en" else None) or node.get("name", "")


def index_tree(tree: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Every category of the tree by id, each with its ``path`` from the top down."""
    found: dict[int, dict[str, Any]] = {}

    def walk(nodes: list[dict[str, Any]], path: list[dict[str, Any]]) -> None:
        for node in nodes:
            found[node["id"]] = {**node, "path": [*path, node]}
            walk(node.get("children") or [], [*path, node])

    walk(tree, [])
    return found


def stock_state(available: int) -> str:
    """``sold_out``, ``low`` (say how many are left) or ``ok``."""
    if available <= 0:
        return "sold_out"
    return "low" if available <= LOW_STOCK else "ok"
