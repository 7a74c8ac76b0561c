"""What every page of the admin console shares: the blueprint, its guard, the texts of
statuses, and the problems found in a form before it goes to the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, abort, redirect, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.gateway_client import ApiProblem
from shop_web.i18n import texts

pages = Blueprint("admin", __name__, url_prefix="/admin")
PAGE_SIZE = 20

texts({
    "admin.title": ("管理后台", "Admin console"),
    "admin.nav": ("后台导航", "Console sections"),
    "admin.home": ("概览", "Overview"),
    "admin.products": ("商品", "Products"),
    "admin.orders": ("订单", "Orders"),
    "admin.shipments": ("发货", "Shipments"),
    "admin.returns": ("售后", "Returns"),
    "admin.tickets": ("工单", "Tickets"),
    "admin.reconciliation": ("对账", "Reconciliation"),
    "admin.next_page": ("下一页", "Next page"),
    "admin.first_page": ("回到第一页", "First page"),
    "admin.empty": ("没有记录", "Nothing here"),
    "admin.filter": ("筛选", "Filter"),
    "admin.all": ("全部", "All"),
    "admin.status": ("状态", "Status"),
    "admin.created": ("创建时间", "Created"),
    "admin.updated": ("更新时间", "Updated"),
    "admin.order_id": ("订单号", "Order number"),
    "admin.user_id": ("用户", "Customer"),
    "admin.lines": ("商品明细", "Lines"),
    "admin.timeline": ("进度", "Timeline"),
    "admin.details": ("详情", "Details"),
    "admin.not_in_api": ("接口未提供：{what}", "The API does not offer: {what}"),
    "admin.invalid_form": ("请检查标出的字段", "Please check the marked fields"),
})

# Every status, type and carrier of the admin API, in the console's words.
texts({f"admin.word.{key}": words for key, words in {
    "ready": ("待发货", "Ready to ship"), "shipped": ("已发货", "Shipped"),
    "in_transit": ("运输中", "In transit"), "out_for_delivery": ("派送中", "Out for delivery"),
    "delivered": ("已签收", "Delivered"), "cancelled": ("已取消", "Cancelled"),
    "requested": ("待审核", "Requested"), "approved": ("已同意", "Approved"),
    "rejected": ("已拒绝", "Rejected"), "received": ("已收货", "Goods received"),
    "goods_received": ("已收到退货", "Goods received"),
    "refunded": ("已退款", "Refunded"), "exchanged": ("已换货", "Exchanged"),
    "replacement_shipped": ("换货已发出", "Replacement shipped"),
    "replacement_delivered": ("换货已签收", "Replacement delivered"),
    "refund_only": ("仅退款", "Refund only"), "return_refund": ("退货退款", "Return and refund"),
    "exchange": ("换货", "Exchange"),
    "open": ("待处理", "Open"), "answered": ("已回复", "Answered"), "closed": ("已关闭", "Closed"),
    "customer": ("顾客", "Customer"), "staff": ("客服", "Staff"),
    "sf": ("顺丰速运", "SF Express"), "zto": ("中通快递", "ZTO Express"),
    "yto": ("圆通速递", "YTO Express"), "jd": ("京东物流", "JD Logistics"),
    "ems": ("中国邮政 EMS", "China Post EMS"), "store": ("门店自提点", "Pickup point"),
    "balance": ("余额", "Wallet"), "alipay": ("支付宝", "Alipay"),
    "wechat": ("微信支付", "WeChat Pay"), "card": ("银行卡", "Card"),
    "cod": ("货到付款", "Cash on delivery"),
    "pending": ("待确认库存", "Pending"), "awaiting_payment": ("待付款", "Awaiting payment"),
    "paid": ("已付款", "Paid"), "completed": ("已完成", "Completed"),
    "partially_refunded": ("部分退款", "Partly refunded"),
    "standard": ("标准快递", "Standard"), "express": ("特快专递", "Express"),
    "pickup": ("门店自提", "Pickup"),
}.items()})


@pages.before_request
def admins_only() -> None:
    """A guest signs in first; a signed-in customer is refused. The API checks the role
    again on every call: this only spares a customer pages that could not work."""
    shopper = api.current_shopper()
    if shopper is None:
        raise api.SignInRequired()
    if not shopper.is_admin:
        abort(403)


def word(value: str | None) -> str:
    """A status, type or carrier code in the console's words (the code if unknown)."""
    if not value:
        return ""
    from shop_web.i18n import t

    key = f"admin.word.{value}"
    found = t(key)
    return value if found == key else found


@pages.app_template_global("admin_word")
def _admin_word(value: str | None) -> str:
    return word(value)


def form_problem(fields: dict[str, str]) -> ApiProblem:
    """Mistakes found before calling the API, shown like the API's own (beside the field)."""
    from shop_web.i18n import t

    return ApiProblem(422, t("admin.invalid_form"), type="invalid-input",
                      fields={name: [message] for name, message in fields.items()})


def messages_under(problem: ApiProblem | None, prefix: str) -> str | None:
    """The problem's messages about a field or anything inside it (``skus.0`` covers
    ``skus.0.price.amount``)."""
    if problem is None:
        return None
    found = [m for key, messages in problem.fields.items()
             if key == prefix or key.startswith(prefix + ".") for m in messages]
    return " ".join(found) or None


@pages.app_template_global("admin_message")
def _admin_message(problem: ApiProblem | None, name: str) -> str | None:
    return messages_under(problem, name)


def list_address() -> str:
    """Where a list's action returns to: the list as it was filtered and paged (a form
    re-rendered after a refusal keeps the address it came with)."""
    back = request.form.get("back", "") if request.method == "POST" else request.full_path
    return back if back.startswith("/admin/") else request.path


def list_args() -> MultiDict:
    """The list's filters and cursor: the query, or after a refused action the query of
    the list it came from."""
    if request.method != "POST":
        return request.args
    return MultiDict(parse_qsl(urlsplit(list_address()).query))


def back_to_list(default: str) -> Response:
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/admin/") else default)


@pages.app_template_global("admin_list_address")
def _admin_list_address() -> str:
    return list_address()


def page_of(path: str, **query: Any) -> dict[str, Any]:
    """One page of an admin list (``items``, ``next_cursor``)."""
    return api.get(path, limit=PAGE_SIZE, **query)


@pages.get("/")
def index() -> str:
    return render_template("admin/index.html")
