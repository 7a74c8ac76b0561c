"""The product page in one response: the product with live stock, plus reviews and
recommendations. Only the product itself is essential; a slow or failed part is left
out and named in ``degraded``, so the page still renders.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Response, jsonify

from api_gateway.proxy import forward
from service_runtime import context

PART_TIMEOUT_S = 1.5
RECOMMENDATIONS = 6


def product_page(session: requests.Session, urls: dict[str, str], pool: ThreadPoolExecutor,
                 product_id: str, timeouts: tuple[float, float]) -> Response:
    ids = {"X-Request-ID": context.request_id.get() or "",
           "X-Correlation-ID": context.correlation_id.get() or ""}
    reviews = pool.submit(_get_json, session,
                          f"{urls['aftersales']}/api/v1/products/{product_id}/reviews",
                          {"limit": 3}, ids)
    product = forward(session, "catalog", urls["catalog"], timeouts)
    if product.status_code != 200:
        reviews.cancel()
        return product  # not found, bad id, catalog down: the catalog's answer stands
    page = product.get_json()
    degraded = []
    similar = _get_json(session, f"{urls['catalog']}/api/v1/products",
                        {"category": page.get("category_id"), "sort": "sales",
                         "limit": RECOMMENDATIONS + 1}, ids)
    if similar is None:
        degraded.append("recommendations")
        page["recommendations"] = None
    else:
        page["recommendations"] = [
            item for item in similar.get("items", []) if str(item.get("id")) != str(product_id)
        ][:RECOMMENDATIONS]
    try:
        page["reviews"] = reviews.result(timeout=PART_TIMEOUT_S)
    except Exception:
        page["reviews"] = None
    if page["reviews"] is None:
        degraded.append("reviews")
    page["degraded"] = degraded
    response = jsonify(page)
    for header in ("X-Request-ID", "X-Correlation-ID"):
        if header in product.headers:
            response.headers[header] = product.headers[header]
    return response


def _get_json(session: requests.Session, url: str, params: dict,
              ids: dict[str, str]) -> dict | None:
    """A part of the page, or None if it is not there in time (runs in a pool thread)."""
    try:
        answer = session.get(url, params=params, timeout=PART_TIMEOUT_S,
                             headers={"Accept": "application/json", **ids})
        if answer.status_code != 200:
            return None
        return answer.json()
    except (requests.RequestException, ValueError):
        return None
