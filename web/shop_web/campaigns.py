"""What the group-buy and flash-sale pages share: countdowns measured on the server's clock
(the API's ``server_time``, not the shopper's), the products the campaigns sell (their
name, picture and list price, read from the catalog), the addresses to deliver to, and the
API's refusals in the shopper's words.

A countdown is rendered as text (right without JavaScript at the moment the page was
made) and carries the deadline and the server's time as data attributes, which
``static/js/countdown.js`` uses to tick it on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shop_web import campaign_texts  # noqa: F401  (registers the texts)
from shop_web import gateway_client as api
from shop_web.i18n import t
from shop_web.offers import problem_slug

DELIVERY_METHODS = ("standard", "express", "pickup")
# Campaign orders are paid online: the payment service refuses cash on delivery.
PREPAID_METHODS = ("balance", "alipay", "wechat", "card")


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def seconds_between(start: Any, end: Any) -> int:
    """Whole seconds from ``start`` to ``end`` (ISO times), never below 0."""
    a, b = _instant(start), _instant(end)
    if a is None or b is None:
        return 0
    return max(0, int((b - a).total_seconds()))


def clock(seconds: int) -> str:
    """``3725`` -> ``01:02:05``; a day or more -> ``1天 01:02:05``."""
    days, rest = divmod(max(0, int(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return t("campaign.days", d=days) + text if days else text


def duration_words(seconds: int) -> str:
    """A campaign's span in the shopper's words: ``24小时``, ``30分钟``, ``45秒``."""
    seconds = int(seconds or 0)
    for size, key in ((3600, "campaign.hours"), (60, "campaign.minutes")):
        if seconds >= size and seconds % size == 0:
            return t(key, n=seconds // size)
    return t("campaign.seconds", n=seconds)


@dataclass(frozen=True)
class Countdown:
    """Time left until ``deadline`` as the server counted it; ``key`` words it
    (``campaign.countdown``: 剩余 {time})."""

    deadline: str
    server_time: str
    seconds: int
    key: str = "campaign.countdown"

    @property
    def text(self) -> str:
        return t(self.key, time=clock(self.seconds)) if self.seconds else t("campaign.over")

    @property
    def template(self) -> str:
        """The words with ``{time}`` left in, for the script to fill."""
        return t(self.key, time="{time}")


def countdown(deadline: Any, server_time: Any, key: str = "campaign.countdown") -> Countdown:
    return Countdown(str(deadline or ""), str(server_time or ""),
                     seconds_between(server_time, deadline), key)


def products_of(product_ids: set[int | None]) -> dict[int, dict[str, Any]]:
    """The catalog's products by id (a product the catalog does not answer for is left
    out: the page names the campaign instead)."""
    found: dict[int, dict[str, Any]] = {}
    for product_id in sorted(p for p in product_ids if p):
        try:
            found[product_id] = api.get(f"/products/{product_id}")
        except api.ApiProblem:
            continue
    return found


def sku_price(product: dict[str, Any] | None, sku: str) -> dict[str, Any] | None:
    """The SKU's list price in the product's answer, if there."""
    for entry in (product or {}).get("skus") or []:
        if entry.get("sku") == sku:
            return entry.get("price")
    return None


def addresses() -> list[dict[str, Any]]:
    """The signed-in shopper's address book (none for a guest)."""
    if api.current_shopper() is None:
        return []
    try:
        return api.get("/users/me/addresses") or []
    except api.SignInRequired:
        return []


def default_address(book: list[dict[str, Any]]) -> str:
    return next((a["id"] for a in book if a.get("is_default")),
                book[0]["id"] if book else "")


def refusal_words(problem: api.ApiProblem, prefix: str) -> str:
    """A refusal of the campaign API in the shopper's words (``group.problem.<slug>``),
    else a field's message, else the API's own words."""
    key = f"{prefix}.problem.{problem_slug(problem)}"
    words = t(key)
    if words != key:
        return words
    for name in ("address_id", "delivery_method", "quantity"):
        message = problem.message_for(name)
        if message:
            return message
    return problem.detail or problem.title


def running(path: str) -> list[dict[str, Any]]:
    """``items`` of a public campaign list, or none when marketing does not answer (the
    home and product pages show campaigns as an extra)."""
    try:
        return (api.get(path) or {}).get("items") or []
    except api.ApiProblem:
        return []
