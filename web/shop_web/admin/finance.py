"""The day's reconciliation in the console (``GET /admin/reconciliation?date=``)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template, request

from shop_web import gateway_client as api
from shop_web.admin.base import pages
from shop_web.i18n import texts

texts({
    "admin.reconciliation.daily": ("每日对账", "Daily reconciliation"),
    "admin.reconciliation.date": ("对账日期", "Date"),
    "admin.reconciliation.open": ("查看", "Show"),
    "admin.reconciliation.report": ("{date} 对账单", "Reconciliation of {date}"),
    "admin.reconciliation.method": ("支付方式", "Method"),
    "admin.reconciliation.payments": ("收款笔数", "Payments"),
    "admin.reconciliation.payments_amount": ("收款金额", "Received"),
    "admin.reconciliation.refunds": ("退款笔数", "Refunds"),
    "admin.reconciliation.refunds_amount": ("退款金额", "Refunded"),
    "admin.reconciliation.orders_paid": ("已支付订单", "Orders paid"),
    "admin.reconciliation.payments_received": ("实收款项", "Payments received"),
    "admin.reconciliation.mismatches": ("差异", "Mismatches"),
    "admin.reconciliation.balanced": ("账目一致，无差异", "Balanced: no mismatches"),
    "admin.reconciliation.kind": ("差异类型", "Kind"),
    "admin.reconciliation.detail": ("说明", "Detail"),
    "admin.reconciliation.payment": ("支付单", "Payment"),
})


@pages.get("/reconciliation")
def reconciliation() -> tuple[str, int]:
    """Today's report unless another day is asked for; a bad date is the API's 422, shown
    beside the date field with the date as typed."""
    day = request.args.get("date") or datetime.now(UTC).date().isoformat()  # days are UTC
    try:
        report, problem = api.get("/admin/reconciliation", date=day), None
    except api.ApiProblem as refused:
        report, problem = None, refused
    return render_template("admin/reconciliation.html", day=day, report=report,
                           problem=problem), (problem.status if problem else 200)
