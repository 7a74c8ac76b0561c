"""Coupons and membership for the shopper: the coupon centre (领券中心: claim a coupon, redeem
a code), my coupons (我的优惠券, by status) and the member centre (会员中心: level, growth,
points and their history).

Claiming and redeeming are plain form posts answered by a redirect; a refusal of the API
(sold out, limit reached, a wrong code) is shown on the coupon or the field it is about,
with the code as typed. A guest who presses "claim" signs in first and comes back here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.i18n import t
from shop_web.marketing_texts import COUPON_STATUSES
from shop_web.offers import TEMPLATE_HELPERS, problem_words

pages = Blueprint("marketing", __name__)
for _name, _helper in TEMPLATE_HELPERS.items():
    pages.add_app_template_global(_helper, _name)

PAGE_SIZE = 20
Page = str | tuple[str, int] | Response


def running_promotions() -> list[dict[str, Any]]:
    """The promotions running now, or none when marketing does not answer (a page that
    shows them as an extra works without them)."""
    try:
        return (api.get("/promotions") or {}).get("items") or []
    except api.ApiProblem:
        return []


def _sign_in_first(back: str) -> Response:
    return redirect(url_for("accounts.sign_in", next=back))


# -- the coupon centre ---------------------------------------------------------------------

@pages.get("/coupons")
def coupon_centre() -> str:
    return _centre()


def _centre(refused: tuple[str, api.ApiProblem] | None = None, code: str = "",
            code_problem: str | None = None) -> str:
    found = api.get("/coupons", limit=PAGE_SIZE, cursor=request.args.get("cursor"))
    return render_template("marketing/coupons.html", page=found, refused=refused,
                           refused_text=problem_words(refused[1]) if refused else "",
                           code=code, code_problem=code_problem,
                           promotions=running_promotions())


@pages.post("/coupons/<string:template_id>/claim")
def claim(template_id: str) -> Page:
    if api.current_shopper() is None:
        return _sign_in_first(url_for(".coupon_centre"))
    try:
        coupon = api.post(f"/coupons/{template_id}/claim")
    except api.SignInRequired:
        return _sign_in_first(url_for(".coupon_centre"))
    except api.ApiProblem as problem:
        return _centre(refused=(template_id, problem)), problem.status
    flash(t("coupons.claimed", name=(coupon.get("template") or {}).get("name", "")))
    return redirect(url_for(".coupon_centre"), 303)


@pages.post("/coupons/redeem")
def redeem() -> Page:
    code = request.form.get("code", "").strip()
    if api.current_shopper() is None:
        return _sign_in_first(url_for(".coupon_centre"))
    if not code:
        return _centre(code=code, code_problem=t("coupons.code_needed")), 422
    try:
        coupon = api.post("/coupons/redeem", {"code": code})
    except api.SignInRequired:
        return _sign_in_first(url_for(".coupon_centre"))
    except api.ApiProblem as problem:
        message = problem.message_for("code") or problem_words(problem)
        return _centre(code=code, code_problem=message), problem.status
    flash(t("coupons.redeemed", name=(coupon.get("template") or {}).get("name", "")))
    return redirect(url_for(".my_coupons"), 303)


# -- my coupons ----------------------------------------------------------------------------

@pages.get("/account/coupons")
def my_coupons() -> str:
    if api.current_shopper() is None:
        raise api.SignInRequired()
    status = request.args.get("status") or "available"
    if status not in COUPON_STATUSES:
        status = "available"
    found = api.get("/users/me/coupons", status=status, limit=PAGE_SIZE,
                    cursor=request.args.get("cursor"))
    return render_template("marketing/my_coupons.html", page=found, status=status,
                           statuses=COUPON_STATUSES)


# -- the member centre ---------------------------------------------------------------------

@pages.get("/account/membership")
def membership() -> str:
    if api.current_shopper() is None:
        raise api.SignInRequired()
    member = api.get("/users/me/membership", limit=PAGE_SIZE, cursor=request.args.get("cursor"))
    return render_template("marketing/membership.html", member=member,
                           progress=progress_of(member))


def progress_of(member: dict[str, Any]) -> dict[str, Any]:
    """The way to the next level: percent (0-100), the growth missing and the level's code
    (``None`` at the top level)."""
    following = member.get("next_level")
    percent = member.get("progress_percent")
    if percent is None:
        percent = 100 if not following else 0
    percent = max(0, min(100, int(percent)))
    if not following:
        return {"percent": 100, "missing": 0, "level": None}
    missing = following.get("growth_missing")
    if missing is None:
        missing = max(0, int(following.get("min_growth") or 0) - int(member.get("growth") or 0))
    return {"percent": percent, "missing": int(missing), "level": following.get("code")}
