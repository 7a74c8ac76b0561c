"""Sales, the funnel, cohort retention and promotions in the console
(``GET /admin/analytics``): the analytics service's reports drawn as inline SVG bars and
tables (server-rendered, no script)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import render_template, request

from shop_web import gateway_client as api
from shop_web.admin.base import pages
from shop_web.i18n import texts

texts({
    "admin.analytics": ("数据分析", "Analytics"),
    "admin.analytics.from": ("开始日期", "From"),
    "admin.analytics.to": ("结束日期", "To"),
    "admin.analytics.show": ("查看", "Show"),
    "admin.analytics.sales": ("每日成交额", "GMV by day"),
    "admin.analytics.orders": ("订单", "Orders"),
    "admin.analytics.gmv": ("成交额", "GMV"),
    "admin.analytics.paid": ("已支付", "Paid"),
    "admin.analytics.funnel": ("购买漏斗", "Purchase funnel"),
    "admin.analytics.retention": ("周留存（按首单周）", "Weekly retention (by first order)"),
    "admin.analytics.cohort": ("首单周", "Cohort"),
    "admin.analytics.users": ("用户数", "Users"),
    "admin.analytics.promotions": ("促销与优惠券", "Promotions and coupons"),
    "admin.analytics.discount": ("优惠金额", "Discount"),
    "admin.analytics.source": ("来源", "Source"),
    "admin.analytics.product_view": ("浏览商品", "Viewed a product"),
    "admin.analytics.add_to_cart": ("加入购物车", "Added to cart"),
    "admin.analytics.order": ("下单", "Ordered"),
    "admin.analytics.paid_step": ("支付", "Paid"),
})

CHART_WIDTH, CHART_HEIGHT = 600, 160
DEFAULT_DAYS = 30


def bars(values: list[int], width: int = CHART_WIDTH,
         height: int = CHART_HEIGHT) -> list[dict[str, float]]:
    """Vertical bars for ``values``: each one's x, y, width and height in the chart's box
    (the tallest fills it; a gap of a fifth between bars)."""
    if not values:
        return []
    top = max(max(values), 1)
    step = width / len(values)
    return [{"x": round(i * step + step * 0.1, 1), "w": round(step * 0.8, 1),
             "h": round(value / top * height, 1), "y": round(height - value / top * height, 1)}
            for i, value in enumerate(values)]


def _window() -> tuple[str, str]:
    today = datetime.now(UTC).date()  # the reports' days are UTC
    end = request.args.get("to") or today.isoformat()
    start = request.args.get("from")
    if not start:
        try:
            start = (date.fromisoformat(end) - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        except ValueError:
            start = end  # the API words the problem with the date as typed
    return start, end


@pages.get("/analytics")
def analytics() -> tuple[str, int]:
    start, end = _window()
    try:
        sales = api.get("/admin/analytics/sales", **{"from": start, "to": end,
                                                      "group_by": "day"})
        funnel = api.get("/admin/analytics/funnel", **{"from": start, "to": end})
        promotions = api.get("/admin/analytics/promotions", **{"from": start, "to": end})
        retention = api.get("/admin/analytics/retention", cohort="week", to=end, weeks=8)
        problem = None
    except api.ApiProblem as refused:
        sales = funnel = promotions = retention = None
        problem = refused
    charts: dict[str, Any] = {}
    if sales is not None and funnel is not None:
        charts["sales"] = list(zip(sales["rows"], bars([r["gmv"] for r in sales["rows"]]),
                                   strict=True))
        reached = [step["reached"] for step in funnel["steps"]]
        charts["funnel"] = list(zip(funnel["steps"], bars(reached, height=100), strict=True))
    return render_template("admin/analytics.html", start=start, end=end, sales=sales,
                           funnel=funnel, promotions=promotions, retention=retention,
                           charts=charts, problem=problem, width=CHART_WIDTH,
                           height=CHART_HEIGHT), (problem.status if problem else 200)
