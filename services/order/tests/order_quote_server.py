"""The marketing service's quote (``POST /internal/pricing/quote``, MARKETING.md), served
over real HTTP for the order service's tests while the real one is being written.

Small but honest: it verifies the bearer token like every service, and computes the
answer from its input by the contract's rules for what these tests use: amount-off
coupons (chosen by id or redeem code, or the best one suggested), points (at most their
balance -> else 422 ``not-enough-points``; at most 50 % of the goods after discounts),
shipping (standard 10.00, express 20.00, both free from the buyer's level threshold;
pickup free), every adjustment split over the lines by largest remainder. No promotions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from service_runtime.auth import AuthSettings, SigningKey, TokenVerifier, jwks
from service_runtime.testing.processes import served

FEES = {"standard": 1000, "express": 2000, "pickup": 0}
REGULAR_FREE_FROM = 9900  # regular members: delivery free from ¥99
POINTS_MAX_SHARE_PERCENT = 50


@dataclass
class Coupon:
    id: str
    user_id: str
    amount_off: int
    min_spend: int = 0
    status: str = "available"
    template_id: str = "tpl_1"

    def view(self) -> dict:
        """The user coupon as marketing shows it, with its template (the contract's
        ``event_contracts.pricing.UserCouponSchema``)."""
        return {"id": self.id, "template_id": self.template_id, "status": self.status,
                "valid_from": "2026-11-01T00:00:00+00:00", "valid_until": None,
                "order_id": None, "issued_at": "2026-11-01T00:00:00+00:00",
                "source": "claim",
                "template": {"id": self.template_id, "name": f"¥{self.amount_off // 100} off",
                             "kind": "amount_off", "amount_off": money(self.amount_off),
                             "percent_off": None, "max_discount": None,
                             "min_spend": money(self.min_spend), "scope": {"kind": "all"}}}


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` over ``weights`` proportionally, by largest remainder (ties: first line)."""
    total = sum(weights)
    if total == 0:
        weights, total = [1] * len(weights), len(weights)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[:amount - sum(shares)]:
        shares[i] += 1
    return shares


def money(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY"}


class Refused(Exception):
    def __init__(self, slug: str, detail: str, status: int = 422) -> None:
        self.slug, self.detail, self.status = slug, detail, status


@dataclass
class QuoteServer:
    coupons: dict[str, Coupon] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # redeem code -> user coupon id
    balances: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[dict, dict]] = field(default_factory=list)  # (headers, body)
    url: str = ""
    # Group buys as marketing shows them (GET /api/v1/group-buys/...): id -> campaign, group;
    # flash sessions by id too (their "unit" is the flash price).
    campaigns: dict[str, dict] = field(default_factory=dict)
    groups: dict[str, dict] = field(default_factory=dict)

    def campaign_price(self, body: dict) -> int:
        """A group buy's price off the goods (its campaign's group price per unit); a
        group that is not open is a 409, as marketing answers."""
        wanted = body["campaign"]
        campaign = self.campaigns.get(wanted["campaign_id"])
        if campaign is None:
            raise Refused("unknown-campaign", "no such campaign", 404)
        group = self.groups.get(wanted.get("group_id") or "")
        if wanted.get("group_id") and (group is None or group["needed"] == 0):
            raise Refused("group-not-joinable", "the group is full", 409)
        return sum((line["unit_price"]["amount"] - campaign["unit"]) * line["quantity"]
                   for line in body["lines"])

    def give(self, coupon: Coupon, code: str | None = None) -> None:
        self.coupons[coupon.id] = coupon
        if code:
            self.codes[code] = coupon.id

    def _coupon(self, user_id: str | None, body: dict, goods: int) -> Coupon | None:
        chosen = body.get("user_coupon_id") or self.codes.get(body.get("coupon_code") or "")
        if body.get("coupon_code") and chosen is None:
            raise Refused("coupon-not-usable", "no such redeem code")
        if chosen:
            coupon = self.coupons.get(chosen)
            if coupon is None or coupon.user_id != user_id:
                raise Refused("coupon-not-usable", "not your coupon")
            if coupon.status != "available":
                raise Refused("coupon-not-usable", f"the coupon is {coupon.status}")
            if goods < coupon.min_spend:
                raise Refused("coupon-not-usable", "the order does not reach its minimum")
            return coupon
        usable = self._usable(user_id, goods)
        if not body.get("suggest_coupon") or not usable:
            return None
        return max(usable, key=lambda c: (min(c.amount_off, goods), c.id))

    def _usable(self, user_id: str | None, goods: int) -> list[Coupon]:
        return [c for c in self.coupons.values() if c.user_id == user_id
                and c.status == "available" and goods >= c.min_spend]

    def quote(self, user_id: str | None, body: dict) -> dict:
        lines = body["lines"]
        subtotals = [line["unit_price"]["amount"] * line["quantity"] for line in lines]
        goods = sum(subtotals)
        allocations: list[list[dict]] = [[] for _ in lines]
        adjustments = []
        left = list(subtotals)

        def adjust(kind: str, source_id: str | None, label: str, amount: int,
                   sign: int) -> None:
            if amount == 0:
                return
            adjustments.append({"kind": kind, "source_id": source_id, "label": label,
                                "amount": money(amount)})
            for i, share in enumerate(split(amount, left)):
                allocations[i].append({"kind": kind, "source_id": source_id,
                                       "amount": money(share)})
                left[i] += sign * share

        coupon = None if body.get("campaign") else self._coupon(user_id, body, goods)
        discount = min(coupon.amount_off, goods) if coupon else 0
        if body.get("campaign"):
            discount = self.campaign_price(body)
            flash = body["campaign"]["kind"] == "flash_sale"
            adjust("flash_price" if flash else "group_price", body["campaign"]["campaign_id"],
                   "秒杀价" if flash else "拼团价", discount, -1)
        if coupon:
            adjust("coupon", coupon.template_id, coupon.view()["template"]["name"], discount,
                   -1)
        after_discount = goods - discount
        balance = self.balances.get(user_id or "", 0)
        requested = int(body.get("points") or 0)
        if requested > balance:
            raise Refused("not-enough-points", f"{requested} points asked, {balance} held")
        max_usable = min(balance, after_discount * POINTS_MAX_SHARE_PERCENT // 100)
        used = min(requested, max_usable)
        adjust("points", None, f"{used} points", used, -1)
        method = body.get("delivery_method") or "standard"
        fee = FEES[method]
        if after_discount >= REGULAR_FREE_FROM:
            fee = 0
        adjust("shipping", None, "shipping", fee, +1)
        payable = goods - discount - used + fee
        points_shares = [sum(a["amount"]["amount"] for a in allocs if a["kind"] == "points")
                         for allocs in allocations]
        usable = self._usable(user_id, goods)
        return {
            "currency": "CNY", "subtotal": money(goods), "discount_total": money(discount),
            "shipping": money(fee), "points_used": used, "points_value": money(used),
            "payable": money(payable), "adjustments": adjustments,
            "lines": [{"sku": line["sku"], "quantity": line["quantity"],
                       "unit_price": line["unit_price"], "subtotal": money(subtotals[i]),
                       "payable": money(left[i]), "points": points_shares[i],
                       "allocations": allocations[i]} for i, line in enumerate(lines)],
            "applied_coupon": coupon.view() if coupon else None,
            "coupons": {"usable": [{**c.view(), "discount": money(min(c.amount_off, goods))}
                                   for c in usable],
                        "unusable": [{**c.view(), "reason": c.status}
                                     for c in self.coupons.values()
                                     if c.user_id == user_id and c not in usable]},
            "best_coupon": None if not usable else {
                **max(usable, key=lambda c: (min(c.amount_off, goods), c.id)).view(),
                "discount": money(max(min(c.amount_off, goods) for c in usable))},
            "promotions": [], "next_tier": None,
            "points": {"balance": balance, "requested": requested, "used": used,
                       "max_usable": max_usable},
            "member_level": "regular" if user_id else None,
        }


@contextmanager
def serve_quote(signing_key: SigningKey) -> Iterator[QuoteServer]:
    server = QuoteServer()
    verifier = TokenVerifier(AuthSettings(), keys=jwks(signing_key))

    def answer(status: int, body: Any, content_type: str = "application/json") -> Response:
        return Response(json.dumps(body, ensure_ascii=False), status, content_type=content_type)

    def application(environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        shown = request.path.removeprefix("/api/v1/group-buys/")
        if request.method == "GET" and shown != request.path:
            found = (server.groups.get(shown.removeprefix("groups/"))
                     if shown.startswith("groups/") else server.campaigns.get(shown))
            response = answer(200, found) if found else answer(
                404, {"type": "urn:shop:problem:group-not-found", "title": "No such group"},
                "application/problem+json")
        elif (request.method, request.path) != ("POST", "/internal/pricing/quote"):
            response = answer(404, {"type": "urn:shop:problem:not-found"})
        else:
            body = request.get_json()
            server.requests.append((dict(request.headers), body))
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            user_id = verifier.verify(token.strip()).user_id \
                if scheme.lower() == "bearer" else None
            try:
                response = answer(200, server.quote(user_id, body))
            except Refused as refused:
                response = answer(refused.status, {
                    "type": f"urn:shop:problem:{refused.slug}",
                    "title": "The price cannot be worked out", "status": refused.status,
                    "detail": refused.detail}, "application/problem+json")
        return response(environ, start_response)

    with served(application) as url:
        server.url = url
        yield server
