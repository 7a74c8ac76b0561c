"""The checkout's coupon and points: what the shopper chose, the breakdown of
``POST /checkout/preview`` for it, and what ``POST /orders`` is sent.

A coupon or an amount of points the API refuses (422 ``coupon-not-usable`` /
``not-enough-points``) is said beside its field; the breakdown shown is then the one
without the refused part, and what the shopper typed stays in the form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from shop_web import gateway_client as api
from shop_web.i18n import t
from shop_web.offers import coupon_id, problem_slug, problem_words

NO_COUPON = "none"  # the select's "不使用优惠券"
COUPON_PROBLEMS = {"coupon-not-usable", "coupon-not-found"}
POINTS_PROBLEMS = {"not-enough-points"}


@dataclass(frozen=True)
class OfferChoice:
    """The form's coupon (``""``: not chosen yet, the best one is suggested; ``"none"``; or
    a user coupon id) and points as typed."""

    coupon: str = ""
    points: str = ""

    @classmethod
    def read(cls, form: MultiDict) -> OfferChoice:
        return cls(coupon=form.get("coupon_id", "").strip(),
                   points=form.get("points", "").strip())

    @property
    def coupon_id(self) -> str | None:
        return self.coupon if self.coupon and self.coupon != NO_COUPON else None

    @property
    def points_number(self) -> int | None:
        """The points as a number; 0 when left empty; None when not a whole number >= 0."""
        if not self.points:
            return 0
        return int(self.points) if self.points.isdigit() else None

    def order_fields(self) -> dict[str, Any]:
        """What ``POST /orders`` is sent besides the address and delivery method."""
        body: dict[str, Any] = {"points": self.points_number or 0}
        if self.coupon_id:
            body["coupon_id"] = self.coupon_id
        return body


@dataclass
class Priced:
    """The breakdown to show (None when it cannot be had: the plain totals then) and the
    messages to show beside the coupon and points fields."""

    quote: dict[str, Any] | None
    coupon: str  # the select's value: the chosen coupon, the suggested one, or "none"
    points: str
    coupon_message: str | None = None
    points_message: str | None = None
    # "none" chosen, yet the preview applied the best coupon: its amount is an estimate
    estimate: bool = False
    unavailable: bool = False
    notes: list[str] = field(default_factory=list)


def preview_body(delivery_method: str, choice: OfferChoice, address_id: str = "",
                 *, with_coupon: bool = True, with_points: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"delivery_method": delivery_method or "standard",
                            "points": (choice.points_number or 0) if with_points else 0}
    if address_id:
        body["address_id"] = address_id
    if with_coupon and choice.coupon_id:
        body["coupon_id"] = choice.coupon_id
    # Without a coupon the preview applies the best usable one: the API has no way to ask
    # for none yet, so "none" is shown with that breakdown and a note (``Priced.estimate``).
    return body


def price(delivery_method: str, choice: OfferChoice, address_id: str = "",
          placed: api.ApiProblem | None = None) -> Priced:
    """The breakdown for the choice. ``placed``: the refusal of POST /orders, said beside
    its field like a refusal of the preview."""
    priced = Priced(None, choice.coupon, choice.points)
    with_coupon, with_points = True, True
    if choice.points_number is None:
        priced.points_message, with_points = t("checkout.points_invalid"), False
    if placed is not None:
        _place(priced, placed)
        with_coupon = priced.coupon_message is None
        with_points = with_points and priced.points_message is None
    for _attempt in range(3):
        body = preview_body(delivery_method, choice, address_id, with_coupon=with_coupon,
                            with_points=with_points)
        try:
            priced.quote = api.post("/checkout/preview", body)
            break
        except api.ApiProblem as problem:
            slug = problem_slug(problem)
            if slug in COUPON_PROBLEMS and with_coupon and choice.coupon_id:
                priced.coupon_message, with_coupon = problem_words(problem), False
            elif slug in POINTS_PROBLEMS and with_points and choice.points_number:
                priced.points_message, with_points = problem_words(problem), False
            else:
                priced.unavailable = True  # an empty cart, or pricing not answering
                return priced
    quote = priced.quote or {}
    applied = coupon_id(quote.get("applied_coupon"))
    if not choice.coupon:
        priced.coupon = applied or NO_COUPON
    if choice.coupon == NO_COUPON and applied:
        priced.quote, priced.estimate = without_coupon(quote), True
    return priced


def without_coupon(quote: dict[str, Any]) -> dict[str, Any]:
    """The preview's breakdown less the coupon it applied on its own: what "no coupon"
    comes to unless leaving the coupon out lets another offer apply (hence a note)."""
    coupon = [a for a in quote.get("adjustments") or [] if a.get("kind") == "coupon"]
    back = sum(int(a["amount"]["amount"]) for a in coupon)
    currency = (quote.get("payable") or {}).get("currency", "CNY")

    def plus(name: str, amount: int) -> dict[str, Any]:
        return {"amount": int((quote.get(name) or {}).get("amount") or 0) + amount,
                "currency": currency}

    return {**quote, "adjustments": [a for a in quote.get("adjustments") or []
                                     if a.get("kind") != "coupon"],
            "payable": plus("payable", back), "discount_total": plus("discount_total", -back),
            "applied_coupon": None}


def _place(priced: Priced, problem: api.ApiProblem) -> None:
    slug = problem_slug(problem)
    if slug in COUPON_PROBLEMS or problem.message_for("coupon_id"):
        priced.coupon_message = problem.message_for("coupon_id") or problem_words(problem)
    elif slug in POINTS_PROBLEMS or problem.message_for("points"):
        priced.points_message = problem.message_for("points") or problem_words(problem)


def is_offer_problem(problem: api.ApiProblem | None) -> bool:
    """A refusal about the coupon or the points (shown beside them, not as a banner)."""
    if problem is None:
        return False
    return (problem_slug(problem) in COUPON_PROBLEMS | POINTS_PROBLEMS
            or bool(problem.message_for("coupon_id") or problem.message_for("points")))


def coupon_choices(quote: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The usable coupons of the quote, best first (each with ``discount``), each with its
    template: a quote that names them by id only gets them from the buyer's coupons."""
    usable = list(((quote or {}).get("coupons") or {}).get("usable") or [])
    if any(not (c.get("name") or c.get("template")) for c in usable):
        held = _held_templates()
        usable = [c if c.get("name") or c.get("template")
                  else {**c, "template": held.get(coupon_id(c), {})} for c in usable]
    return sorted(usable, key=lambda c: -int((c.get("discount") or {}).get("amount") or 0))


def _held_templates() -> dict[str, dict[str, Any]]:
    """The buyer's available coupons' templates by user coupon id (none if not answered)."""
    try:
        found = api.get("/users/me/coupons", status="available", limit=100) or {}
    except api.ApiProblem:
        return {}
    return {str(c.get("id")): c.get("template") or {} for c in found.get("items") or []}
