"""The product page in one response: the product with live stock, plus reviews and
recommendations. Only the product itself is essential; a slow or failed part is left
out and named in ``degraded``, so the page still renders (and is not kept for others).

The reviews and the analytics service's recommendations (bought together, viewed
together, similar) are asked for while the product is. Without an answer of analytics in
time, or for a product analytics has not heard of yet (its ``fallback``), the page
recommends its category's best sellers (a list query with facets, the same for every
product of a category, so kept as briefly as any public answer, ``api_gateway.cache``,
and shared). Only when neither answers are the recommendations degraded.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Response, jsonify

from api_gateway.cache import ShortCache
from api_gateway.proxy import forward
from service_runtime import context

PART_TIMEOUT_S = 1.5
RECOMMENDATIONS = 6


def product_page(session: requests.Session, urls: dict[str, str], pool: ThreadPoolExecutor,
                 cache: ShortCache, product_id: str, timeouts: tuple[float, float]) -> Response:
    ids = {"X-Request-ID": context.request_id.get() or "",
           "X-Correlation-ID": context.correlation_id.get() or ""}
    reviews = pool.submit(_get_json, session,
                          f"{urls['aftersales']}/api/v1/products/{product_id}/reviews",
                          {"limit": 3}, ids)
    analytics = pool.submit(
        _get_json, session,
        f"{urls['analytics']}/api/v1/products/{product_id}/recommendations",
        {"limit": RECOMMENDATIONS}, ids)
    product = forward(session, "catalog", urls["catalog"], timeouts)
    if product.status_code != 200:
        reviews.cancel()
        analytics.cancel()
        return product  # not found, bad id, catalog down: the catalog's answer stands
    page = product.get_json()
    degraded = []
    category = page.get("category_id")
    try:
        recommended = _from_analytics(analytics.result(timeout=PART_TIMEOUT_S), product_id)
    except Exception:
        recommended = []

    def best_sellers() -> tuple[dict | None, bool]:
        found = _get_json(session, f"{urls['catalog']}/api/v1/products",
                          {"category": category, "sort": "sales",
                           "limit": RECOMMENDATIONS + 1}, ids)
        return found, found is not None

    if recommended:
        page["recommendations"] = recommended
    elif (similar := cache.get(("best sellers", category), best_sellers)) is None:
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
    if degraded:
        response.headers["Cache-Control"] = "no-store"  # whole again as soon as it can be
    for header in ("X-Request-ID", "X-Correlation-ID"):
        if header in product.headers:
            response.headers[header] = product.headers[header]
    return response


def _from_analytics(answer: dict | None, product_id: str) -> list[dict]:
    """Bought together, then viewed together, then similar, each product once and never
    the page's own; none when analytics did not answer or does not know the product."""
    if not answer or answer.get("fallback"):
        return []
    found: dict[str, dict] = {}
    for part in ("bought_together", "viewed_together", "similar"):
        for item in answer.get(part) or []:
            key = str(item.get("id"))
            if key != str(product_id) and key not in found:
                found[key] = item
    return list(found.values())[:RECOMMENDATIONS]


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


PAGE_PATH = "/api/v1/products/{product_id}"
PAGE_SCHEMA = "gateway.ProductPage"
PARTS = ("recommendations", "reviews")


def document_product_page(merged: dict) -> dict:
    """The merged document describes the page the gateway answers, not the catalog's
    product alone: the product's schema plus ``recommendations``, ``reviews`` and
    ``degraded`` (a part left out is null and named there)."""
    operation = merged.get("paths", {}).get(PAGE_PATH, {}).get("get")
    schemas = merged.get("components", {}).get("schemas", {})
    product_ref = _json_schema(operation, "200")
    if product_ref is None or "$ref" not in product_ref:
        return merged
    product = schemas.get(product_ref["$ref"].rsplit("/", 1)[-1])
    if product is None:
        return merged
    listing = _json_schema(merged["paths"].get("/api/v1/products", {}).get("get"), "200")
    item = _resolve(schemas, listing).get("properties", {}).get("items", {}).get("items", {})
    reviews = _json_schema(
        merged["paths"].get("/api/v1/products/{product_id}/reviews", {}).get("get"), "200")
    page = {
        **product,
        "properties": {
            **product.get("properties", {}),
            "recommendations": {"type": "array", "items": item, "nullable": True,
                                "maxItems": RECOMMENDATIONS,
                                "description": "Products bought or viewed together with "
                                               "this one, or similar (analytics); else "
                                               "best sellers of the same category"},
            "reviews": {"allOf": [reviews or {}], "nullable": True,
                        "description": "The first page of the product's reviews"},
            "degraded": {"type": "array", "items": {"type": "string", "enum": list(PARTS)},
                         "description": "The parts left out (null) because they were "
                                        "not there in time"},
        },
    }
    page["required"] = sorted({*product.get("required", []), *PARTS, "degraded"})
    schemas[PAGE_SCHEMA] = page
    operation["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": f"#/components/schemas/{PAGE_SCHEMA}"}
    return merged


def _json_schema(operation: dict | None, status: str) -> dict | None:
    try:
        return operation["responses"][status]["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        return None


def _resolve(schemas: dict, schema: dict | None) -> dict:
    if schema and "$ref" in schema:
        return schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema or {}
