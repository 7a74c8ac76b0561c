"""Group buys (拼团) in the storefront: the running campaigns with their open groups, a
campaign's page (start a group), a group's page (members, places still needed, the
countdown; join it).

Starting and joining are plain form posts carrying an Idempotency-Key made when the form
was rendered (pressing twice places one order); the order they place is then paid on the
order's pay page like any order. A refusal (the group filled up, the buyer's limit) is
shown on the form, with what was chosen kept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.campaigns import (
    DELIVERY_METHODS,
    addresses,
    countdown,
    default_address,
    duration_words,
    products_of,
    refusal_words,
)
from shop_web.i18n import t

pages = Blueprint("group_buys", __name__)
Page = str | tuple[str, int] | Response
pages.add_app_template_global(duration_words, "duration_words")


@pages.get("/group-buys")
def campaigns() -> str:
    listed = api.get("/group-buys")
    items = listed.get("items") or []
    return render_template("campaigns/group_buys.html", campaigns=items,
                           server_time=listed.get("server_time"), countdown=countdown,
                           products=products_of({c.get("product_id") for c in items}))


def _running(campaign_id: str) -> tuple[dict[str, Any], str]:
    """The campaign with its open groups when it runs; else as the API has it (no groups)."""
    listed = api.get("/group-buys")
    for campaign in listed.get("items") or []:
        if campaign["id"] == campaign_id:
            return campaign, str(listed.get("server_time") or "")
    found = api.get(f"/group-buys/{campaign_id}")
    return {**found, "open_groups": [], "not_running": True}, str(found.get("server_time") or "")


def _form_context(problem: api.ApiProblem | None = None) -> dict[str, Any]:
    book = addresses()
    chosen = {"address_id": request.form.get("address_id") or default_address(book),
              "delivery_method": request.form.get("delivery_method") or "standard"}
    return {"addresses": book, "chosen": chosen, "delivery_methods": DELIVERY_METHODS,
            "key": request.form.get("idempotency_key") or api.new_idempotency_key(),
            "problem": problem, "refusal": refusal_words(problem, "group") if problem else ""}


@pages.get("/group-buys/<string:campaign_id>")
def campaign(campaign_id: str) -> str:
    return _campaign_page(campaign_id)


def _campaign_page(campaign_id: str, problem: api.ApiProblem | None = None) -> str:
    found, server_time = _running(campaign_id)
    return render_template("campaigns/group_buy.html", campaign=found, server_time=server_time,
                           countdown=countdown,
                           product=products_of({found.get("product_id")}).get(
                               found.get("product_id")), **_form_context(problem))


def _order_body() -> dict[str, Any]:
    return {"address_id": request.form.get("address_id", ""),
            "delivery_method": request.form.get("delivery_method") or "standard",
            "quantity": 1}


def _sign_in_first(back: str) -> Response:
    return redirect(url_for("accounts.sign_in", next=back))


def _to_pay(placed: dict[str, Any], message: str) -> Response:
    """After a group order: its pay page (which waits while the stock is reserved)."""
    group = placed.get("group") or {}
    flash(t(message, id=group.get("id", "")))
    return redirect(url_for("checkout.pay", order_id=placed["order"]["id"]), 303)


@pages.post("/group-buys/<string:campaign_id>/start")
def start(campaign_id: str) -> Page:
    back = url_for(".campaign", campaign_id=campaign_id)
    if api.current_shopper() is None:
        return _sign_in_first(back)
    try:
        placed = api.post(f"/group-buys/{campaign_id}/groups", _order_body(),
                          idempotency_key=request.form.get("idempotency_key") or None)
    except api.SignInRequired:
        return _sign_in_first(back)
    except api.ApiProblem as problem:
        if problem.status == 404:
            raise
        return _campaign_page(campaign_id, problem), problem.status
    return _to_pay(placed, "group.started")


# -- one group -----------------------------------------------------------------------------

@pages.get("/group-buys/groups/<string:group_id>")
def group(group_id: str) -> str:
    return _group_page(group_id)


def _group_page(group_id: str, problem: api.ApiProblem | None = None) -> str:
    found = api.get(f"/group-buys/groups/{group_id}")
    try:
        owner = api.get(f"/group-buys/{found['campaign_id']}")
    except api.ApiProblem as error:
        if error.status != 404:
            raise
        abort(404)
    seats = max(0, int(found.get("needed") or 0))
    return render_template("campaigns/group.html", group=found, campaign=owner,
                           seats=seats, countdown=countdown,
                           product=products_of({found.get("product_id")}).get(
                               found.get("product_id")), **_form_context(problem))


@pages.post("/group-buys/groups/<string:group_id>/join")
def join(group_id: str) -> Page:
    back = url_for(".group", group_id=group_id)
    if api.current_shopper() is None:
        return _sign_in_first(back)
    try:
        placed = api.post(f"/group-buys/groups/{group_id}/join", _order_body(),
                          idempotency_key=request.form.get("idempotency_key") or None)
    except api.SignInRequired:
        return _sign_in_first(back)
    except api.ApiProblem as problem:
        if problem.status == 404:
            raise
        return _group_page(group_id, problem), problem.status
    return _to_pay(placed, "group.joined")
