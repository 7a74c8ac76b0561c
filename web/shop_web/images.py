"""Local placeholder pictures, so pages look real offline.

The demo catalog names images on a host that does not exist; the pages show a generated
SVG instead (a colour per category, the product's first characters), with fixed
dimensions so nothing shifts when it loads. An image URL on a host that answers
(``/static/...`` or a real CDN in production) is used as it is.
"""

from __future__ import annotations

import hashlib
from html import escape

from flask import Blueprint, Response, request, url_for

from service_runtime.app import current_settings

images = Blueprint("images", __name__)
PALETTE = ["#e4393c", "#ff6a00", "#f5a623", "#2ca02c", "#17a2b8", "#1f77b4", "#6f42c1",
           "#d63384", "#795548", "#20c997"]


def picture_url(source: str | None, label: str, group: str = "") -> str:
    """What an ``<img src>`` should point at for an image the API named."""
    real = tuple(f"https://{host}/" for host in current_settings().image_hosts)
    if source and (source.startswith("/") or (real and source.startswith(real))):
        return source
    key = hashlib.sha1(f"{group}|{label}".encode()).hexdigest()[:12]
    return url_for("images.placeholder", key=key, label=label[:12], group=group[:40])


@images.get("/img/placeholder/<key>.svg")
def placeholder(key: str) -> Response:
    label = request.args.get("label", "")[:12]
    group = request.args.get("group", "")[:40]
    colour = PALETTE[int(hashlib.sha1(group.encode()).hexdigest(), 16) % len(PALETTE)]
    initials = escape(label[:2] or "?")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400"'
        f' role="img" aria-label="{escape(label)}">'
        f'<rect width="400" height="400" fill="{colour}" opacity="0.15"/>'
        f'<circle cx="200" cy="180" r="110" fill="{colour}" opacity="0.35"/>'
        f'<text x="200" y="215" font-size="96" text-anchor="middle" fill="{colour}"'
        ' font-family="sans-serif">'
        f"{initials}</text>"
        f'<text x="200" y="360" font-size="28" text-anchor="middle" fill="#555"'
        f' font-family="sans-serif">{escape(group)}</text></svg>')
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response

