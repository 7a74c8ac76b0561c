"""Campaigns in the console: group buys (拼团活动: list, create, end early) and flash
sessions (秒杀场次: list with their items, create, end early).

The flash list is the API's one answer (its newest sessions), filtered here by state; the
group-buy list pages by cursor like the others (the API filters it by nothing).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import campaign_texts  # noqa: F401  (registers the texts)
from shop_web import gateway_client as api
from shop_web.admin.base import back_to_list, form_problem, list_args, page_of, pages
from shop_web.admin.campaign_forms import FlashSessionForm, GroupBuyForm
from shop_web.campaigns import duration_words
from shop_web.flash_pages import progress
from shop_web.i18n import t, texts

SESSION_STATES = ("upcoming", "running", "ended")
Page = str | tuple[str, int] | Response

texts({
    "admin.group_buys": ("拼团活动", "Group buys"),
    "admin.flash_sales": ("秒杀场次", "Flash sessions"),
    "admin.campaign.new_group_buy": ("新建拼团", "New group buy"),
    "admin.campaign.new_flash": ("新建秒杀场次", "New flash session"),
    "admin.campaign.name": ("名称", "Name"),
    "admin.campaign.sku": ("SKU", "SKU"),
    "admin.campaign.product_id": ("商品编号（选填）", "Product id (optional)"),
    "admin.campaign.group_price": ("拼团价（元）", "Group price (yuan)"),
    "admin.campaign.group_size": ("成团人数", "Group size"),
    "admin.campaign.fill_hours": ("成团时限（小时）", "Hours to fill"),
    "admin.campaign.per_user_limit": ("每人限参团数", "Groups per person"),
    "admin.campaign.starts_at": ("开始时间（UTC，选填）", "Starts (UTC, optional)"),
    "admin.campaign.flash_starts_at": ("开始时间（UTC）", "Starts (UTC)"),
    "admin.campaign.ends_at": ("结束时间（UTC）", "Ends (UTC)"),
    "admin.campaign.window": ("活动时间", "Window"),
    "admin.campaign.payment_minutes": ("支付时限（分钟）", "Minutes to pay"),
    "admin.campaign.items": ("秒杀商品", "Items"),
    "admin.campaign.item": ("商品 {n}", "Item {n}"),
    "admin.campaign.flash_price": ("秒杀价（元）", "Flash price (yuan)"),
    "admin.campaign.quantity": ("秒杀数量", "Quantity"),
    "admin.campaign.item_limit": ("每人限购", "Per person"),
    "admin.campaign.remaining": ("剩余 / 数量", "Left / quantity"),
    "admin.campaign.create": ("创建", "Create"),
    "admin.campaign.created": ("已创建：{name}", "Created: {name}"),
    "admin.campaign.end": ("提前结束", "End now"),
    "admin.campaign.ended": ("已结束：{name}", "Ended: {name}"),
})
texts({"admin.word.ended": ("已结束", "Ended"), "admin.word.upcoming": ("未开始", "Upcoming"),
       "admin.word.running": ("进行中", "Running"),
       "admin.word.scheduled": ("已排期", "Scheduled")})


# -- group buys ----------------------------------------------------------------------------

@pages.get("/group-buys")
def group_buys() -> str:
    found = page_of("/admin/group-buys", cursor=list_args().get("cursor"))
    return render_template("admin/group_buys.html", page=found, endpoint="admin.group_buys",
                           duration_words=duration_words)


@pages.get("/group-buys/new")
def new_group_buy() -> str:
    return render_template("admin/group_buy_form.html", form=GroupBuyForm(), problem=None)


@pages.post("/group-buys/new")
def create_group_buy() -> Page:
    form = GroupBuyForm.read(request.form)
    body, mistakes = form.body()
    try:
        if mistakes:
            raise form_problem(mistakes)
        created = api.post("/admin/group-buys", body)
    except api.ApiProblem as problem:
        return render_template("admin/group_buy_form.html", form=form,
                               problem=problem), problem.status
    flash(t("admin.campaign.created", name=created["name"]))
    return redirect(url_for("admin.group_buys"), 303)


@pages.post("/group-buys/<string:campaign_id>/end")
def end_group_buy(campaign_id: str) -> Response:
    return _end(f"/admin/group-buys/{campaign_id}", url_for("admin.group_buys"))


# -- flash sessions ------------------------------------------------------------------------

@pages.get("/flash-sales")
def flash_sales() -> str:
    state = request.args.get("status", "")
    state = state if state in SESSION_STATES else ""
    found = api.get("/admin/flash-sales")
    sessions = [s for s in found.get("items") or [] if not state or s.get("state") == state]
    return render_template("admin/flash_sales.html", sessions=sessions, status=state,
                           statuses=SESSION_STATES, endpoint="admin.flash_sales",
                           progress=progress)


@pages.get("/flash-sales/new")
def new_flash_sale() -> str:
    return render_template("admin/flash_form.html", form=FlashSessionForm(), problem=None)


@pages.post("/flash-sales/new")
def create_flash_sale() -> Page:
    form = FlashSessionForm.read(request.form)
    body, mistakes = form.body()
    try:
        if mistakes:
            raise form_problem(mistakes)
        created = api.post("/admin/flash-sales", body)
    except api.ApiProblem as problem:
        return render_template("admin/flash_form.html", form=form,
                               problem=problem), problem.status
    flash(t("admin.campaign.created", name=created["name"]))
    return redirect(url_for("admin.flash_sales"), 303)


@pages.post("/flash-sales/<string:session_id>/end")
def end_flash_sale(session_id: str) -> Response:
    return _end(f"/admin/flash-sales/{session_id}", url_for("admin.flash_sales"))


def _end(path: str, default: str) -> Response:
    """End a campaign early from its list; a refusal comes back as a flash on the list."""
    if request.form.get("status") != "ended":
        abort(400)
    try:
        ended = api.patch(path, {"status": "ended"})
    except api.ApiProblem as problem:
        flash(str(problem), "error")
        return back_to_list(default)
    flash(t("admin.campaign.ended", name=ended.get("name", "")))
    return back_to_list(default)
