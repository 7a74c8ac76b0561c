"""Marketing in the console: coupon templates (list, create, edit, pause, issue to users),
promotions (full reduction, timed discount, member prices; list, create, edit, pause) and
their statistics. Lists filter by status and page by cursor like the others."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.admin.base import back_to_list, form_problem, list_args, page_of, pages
from shop_web.admin.offer_forms import TIER_ROWS, CouponForm, PromotionForm, user_ids
from shop_web.i18n import t, texts
from shop_web.marketing_texts import LEVEL_CODES

STATUSES = ("active", "paused")
COUPON_KINDS = ("amount_off", "percent_off", "free_shipping")
PROMOTION_KINDS = ("full_reduction", "timed_discount", "member_price")
SCOPE_KINDS = ("all", "categories", "brands", "products")
AUTO_ISSUE = ("none", "new_user", "purchase_reward", *(f"level:{lv}" for lv in LEVEL_CODES))
# Enough pages of a list to find one offer by id (the API lists, it has no GET by id).
FIND_PAGES = 20
Page = str | tuple[str, int] | Response

texts({
    "admin.marketing": ("营销", "Marketing"),
    "admin.coupons": ("优惠券", "Coupons"),
    "admin.promotions": ("促销活动", "Promotions"),
    "admin.marketing_stats": ("营销数据", "Marketing figures"),
    "admin.offer.new_coupon": ("新建优惠券", "New coupon"),
    "admin.offer.edit_coupon": ("编辑优惠券", "Edit coupon"),
    "admin.offer.new_promotion": ("新建活动", "New promotion"),
    "admin.offer.edit_promotion": ("编辑活动", "Edit promotion"),
    "admin.offer.name": ("名称", "Name"),
    "admin.offer.description": ("说明", "Description"),
    "admin.offer.kind": ("类型", "Kind"),
    "admin.offer.terms": ("优惠内容", "Terms"),
    "admin.offer.amount_off": ("减免金额（元）", "Amount off (yuan)"),
    "admin.offer.percent_off": ("折扣（买家支付的百分比，80 = 8折）",
                                "Percent paid by the buyer (80 = 20% off)"),
    "admin.offer.max_discount": ("最高优惠（元，选填）", "At most off (yuan, optional)"),
    "admin.offer.min_spend": ("使用门槛（元，选填）", "Minimum spend (yuan, optional)"),
    "admin.offer.scope_kind": ("适用范围", "Scope"),
    "admin.offer.scope": ("分类编号 / 商品编号 / 品牌（逗号分隔）",
                          "Category ids / product ids / brands (comma separated)"),
    "admin.offer.validity": ("有效期", "Validity"),
    "admin.offer.validity.days": ("领取后 N 天有效", "N days after claiming"),
    "admin.offer.validity.fixed": ("固定日期", "Fixed dates"),
    "admin.offer.valid_days": ("有效天数", "Days valid"),
    "admin.offer.valid_from": ("生效时间（UTC，选填）", "Valid from (UTC, optional)"),
    "admin.offer.valid_until": ("失效时间（UTC）", "Valid until (UTC)"),
    "admin.offer.total_quantity": ("发行总量", "Total quantity"),
    "admin.offer.per_user_limit": ("每人限领", "Per person"),
    "admin.offer.member_levels": ("限会员等级领取（不选则不限）",
                                  "Member levels only (none: anyone)"),
    "admin.offer.claimable": ("可在领券中心领取", "Claimable in the coupon centre"),
    "admin.offer.redeem_code": ("兑换码（选填）", "Redeem code (optional)"),
    "admin.offer.auto_issue": ("自动发放", "Issued automatically"),
    "admin.offer.auto.none": ("不自动发放", "Never"),
    "admin.offer.auto.new_user": ("新用户注册", "On sign-up"),
    "admin.offer.auto.purchase_reward": ("订单完成奖励", "After a completed order"),
    "admin.offer.auto.level": ("升级到{level}", "On reaching {level}"),
    "admin.offer.exclusion_group": ("互斥组（同组不可同享，选填）",
                                    "Exclusion group (same group never combines, optional)"),
    "admin.offer.priority": ("优先级", "Priority"),
    "admin.offer.group_priority": ("互斥组 / 优先级", "Group / priority"),
    "admin.offer.stacks": ("可与满减活动同享", "Combines with spend-and-save promotions"),
    "admin.offer.tiers": ("满减档位（元）", "Tiers (yuan)"),
    "admin.offer.threshold": ("第 {n} 档：满", "Tier {n}: from"),
    "admin.offer.off": ("第 {n} 档：减", "Tier {n}: off"),
    "admin.offer.percent": ("折扣（买家支付的百分比，80 = 8折）",
                            "Percent paid by the buyer (80 = 20% off)"),
    "admin.offer.member_percents": ("会员价（各等级支付的百分比，不填则无）",
                                    "Member prices (percent paid per level, empty: none)"),
    "admin.offer.window": ("活动时间（UTC）", "Window (UTC)"),
    "admin.offer.starts_at": ("开始时间（UTC）", "Starts (UTC)"),
    "admin.offer.ends_at": ("结束时间（UTC）", "Ends (UTC)"),
    "admin.offer.create": ("创建", "Create"),
    "admin.offer.created": ("已创建：{name}", "Created: {name}"),
    "admin.offer.saved": ("已保存", "Saved"),
    "admin.offer.pause": ("暂停", "Pause"),
    "admin.offer.resume": ("恢复", "Resume"),
    "admin.offer.paused": ("已暂停：{name}", "Paused: {name}"),
    "admin.offer.resumed": ("已恢复：{name}", "Resumed: {name}"),
    "admin.offer.issued_remaining": ("已发 {issued} / 共 {total}", "{issued} of {total} issued"),
    "admin.offer.issue": ("发放给用户", "Issue to users"),
    "admin.offer.issue_ids": ("用户 ID（每行一个或逗号分隔）",
                              "User ids (one a line or comma separated)"),
    "admin.offer.issue_submit": ("发放", "Issue"),
    "admin.offer.issue_done": ("已发放 {count} 张", "{count} issued"),
    "admin.offer.issue_refused": ("{user}：{reason}", "{user}: {reason}"),
    "admin.stats.issued": ("已发放", "Issued"),
    "admin.stats.used": ("已使用", "Used"),
    "admin.stats.discount": ("优惠金额", "Discount given"),
    "admin.stats.orders": ("订单数", "Orders"),
    "admin.stats.gmv": ("成交额", "GMV"),
})
texts({"admin.word.active": ("进行中", "Active"), "admin.word.paused": ("已暂停", "Paused")})


def _statused(path: str, template: str, endpoint: str) -> str:
    args = list_args()
    status = args.get("status", "")
    status = status if status in STATUSES else ""
    found = page_of(path, status=status, cursor=args.get("cursor"))
    return render_template(template, page=found, status=status, statuses=STATUSES,
                           endpoint=endpoint)


def find_offer(path: str, offer_id: str) -> dict[str, Any]:
    """One coupon template or promotion, looked up in its list (404 if not there)."""
    cursor = None
    for _page in range(FIND_PAGES):
        found = api.get(path, limit=100, cursor=cursor)
        for item in found.get("items") or []:
            if str(item.get("id")) == offer_id:
                return item
        cursor = found.get("next_cursor")
        if not cursor:
            break
    abort(404)


def _choices() -> dict[str, Any]:
    return {"coupon_kinds": COUPON_KINDS, "promotion_kinds": PROMOTION_KINDS,
            "scope_kinds": SCOPE_KINDS, "auto_issue": AUTO_ISSUE, "levels": LEVEL_CODES,
            "tier_rows": TIER_ROWS}


# -- coupon templates ----------------------------------------------------------------------

@pages.get("/coupons")
def coupons() -> str:
    return _statused("/admin/coupons", "admin/coupons.html", "admin.coupons")


@pages.get("/coupons/new")
def new_coupon() -> str:
    return _coupon_page(CouponForm(), None)


@pages.post("/coupons/new")
def create_coupon() -> Page:
    form = CouponForm.read(request.form)
    body, mistakes = form.body()
    try:
        if mistakes:
            raise form_problem(mistakes)
        created = api.post("/admin/coupons", body)
    except api.ApiProblem as problem:
        return _coupon_page(form, None, problem), problem.status
    flash(t("admin.offer.created", name=created["name"]))
    return redirect(url_for("admin.edit_coupon", template_id=created["id"]), 303)


@pages.get("/coupons/<string:template_id>")
def edit_coupon(template_id: str) -> str:
    found = find_offer("/admin/coupons", template_id)
    return _coupon_page(CouponForm.of_template(found), found)


@pages.post("/coupons/<string:template_id>")
def save_coupon(template_id: str) -> Page:
    form = CouponForm.read(request.form)
    body, mistakes = form.body()
    try:
        if mistakes:
            raise form_problem(mistakes)
        api.patch(f"/admin/coupons/{template_id}", body)
    except api.ApiProblem as problem:
        found = find_offer("/admin/coupons", template_id)
        return _coupon_page(form, found, problem), problem.status
    flash(t("admin.offer.saved"))
    return redirect(url_for("admin.edit_coupon", template_id=template_id), 303)


@pages.post("/coupons/<string:template_id>/issue")
def issue_coupon(template_id: str) -> Page:
    typed = request.form.get("user_ids", "")
    found = find_offer("/admin/coupons", template_id)
    form = CouponForm.of_template(found)
    try:
        ids = user_ids(typed)
        if not ids:
            raise form_problem({"user_ids": t("admin.form.required")})
        result = api.post(f"/admin/coupons/{template_id}/issue", {"user_ids": ids})
    except api.ApiProblem as problem:
        return _coupon_page(form, found, None, issue=(typed, problem, None)), problem.status
    return _coupon_page(form, find_offer("/admin/coupons", template_id), None,
                        issue=("", None, result))


@pages.post("/coupons/<string:template_id>/status")
def coupon_status(template_id: str) -> Page:
    return _set_status(f"/admin/coupons/{template_id}", url_for("admin.coupons"))


def _coupon_page(form: CouponForm, found: dict[str, Any] | None,
                 problem: api.ApiProblem | None = None,
                 issue: tuple[str, api.ApiProblem | None, dict | None] | None = None) -> str:
    return render_template("admin/coupon_form.html", form=form, coupon=found, problem=problem,
                           issue=issue or ("", None, None), **_choices())


# -- promotions ----------------------------------------------------------------------------

@pages.get("/promotions")
def promotions() -> str:
    return _statused("/admin/promotions", "admin/promotions.html", "admin.promotions")


@pages.get("/promotions/new")
def new_promotion() -> str:
    return _promotion_page(PromotionForm(), None)


@pages.post("/promotions/new")
def create_promotion() -> Page:
    form = PromotionForm.read(request.form)
    body, mistakes = form.body()
    try:
        if mistakes:
            raise form_problem(mistakes)
        created = api.post("/admin/promotions", body)
    except api.ApiProblem as problem:
        return _promotion_page(form, None, problem), problem.status
    flash(t("admin.offer.created", name=created["name"]))
    return redirect(url_for("admin.promotions"), 303)


@pages.get("/promotions/<string:promotion_id>")
def edit_promotion(promotion_id: str) -> str:
    found = find_offer("/admin/promotions", promotion_id)
    return _promotion_page(PromotionForm.of_promotion(found), found)


@pages.post("/promotions/<string:promotion_id>")
def save_promotion(promotion_id: str) -> Page:
    form = PromotionForm.read(request.form)
    body, mistakes = form.body()
    try:
        if mistakes:
            raise form_problem(mistakes)
        api.patch(f"/admin/promotions/{promotion_id}", body)
    except api.ApiProblem as problem:
        found = find_offer("/admin/promotions", promotion_id)
        return _promotion_page(form, found, problem), problem.status
    flash(t("admin.offer.saved"))
    return redirect(url_for("admin.edit_promotion", promotion_id=promotion_id), 303)


@pages.post("/promotions/<string:promotion_id>/status")
def promotion_status(promotion_id: str) -> Page:
    return _set_status(f"/admin/promotions/{promotion_id}", url_for("admin.promotions"))


def _promotion_page(form: PromotionForm, found: dict[str, Any] | None,
                    problem: api.ApiProblem | None = None) -> str:
    return render_template("admin/promotion_form.html", form=form, promotion=found,
                           problem=problem, **_choices())


def _set_status(path: str, default: str) -> Response:
    """Pause or resume from a list; a refusal comes back as a flash on the list."""
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400)
    try:
        changed = api.patch(path, {"status": status})
    except api.ApiProblem as problem:
        flash(str(problem), "error")
        return back_to_list(default)
    done = "admin.offer.paused" if status == "paused" else "admin.offer.resumed"
    flash(t(done, name=changed.get("name", "")))
    return back_to_list(default)


# -- statistics ----------------------------------------------------------------------------

@pages.get("/marketing/stats")
def marketing_stats() -> str:
    return render_template("admin/marketing_stats.html", stats=api.get("/admin/marketing/stats"))
