"""Returns and tickets in the console: approve, reject or receive a return; answer or close
a ticket. The lists filter by status (the API's only filter) and page by cursor."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from shop_web import gateway_client as api
from shop_web.admin.base import back_to_list, form_problem, list_args, page_of, pages
from shop_web.i18n import t, texts

RETURN_STATUSES = ("requested", "approved", "rejected", "received", "refunded", "exchanged")
TICKET_STATUSES = ("open", "answered", "closed")
RETURN_ACTIONS = ("approve", "receive")

texts({
    "admin.returns.type": ("类型", "Type"),
    "admin.returns.reason": ("原因", "Reason"),
    "admin.returns.refund": ("申请退款", "Refund asked"),
    "admin.returns.refunded": ("已退款", "Refunded"),
    "admin.returns.approve": ("同意", "Approve"),
    "admin.returns.reject": ("拒绝", "Reject"),
    "admin.returns.receive": ("确认收到退货", "Goods received"),
    "admin.returns.reject_reason": ("拒绝原因", "Reason for rejecting"),
    "admin.returns.done_approve": ("已同意售后申请", "Return approved"),
    "admin.returns.done_receive": ("已确认收到退货", "Goods received"),
    "admin.returns.done_reject": ("已拒绝售后申请", "Return rejected"),
    "admin.tickets.subject": ("主题", "Subject"),
    "admin.tickets.order": ("关联订单", "Order"),
    "admin.tickets.reply": ("回复内容", "Your answer"),
    "admin.tickets.send": ("发送回复", "Send answer"),
    "admin.tickets.close": ("关闭工单", "Close ticket"),
    "admin.tickets.sent": ("回复已发送", "Answer sent"),
    "admin.tickets.closed": ("工单已关闭", "Ticket closed"),
    "admin.tickets.messages": ("对话", "Conversation"),
})


@pages.get("/returns")
def returns() -> str:
    return _returns()


@pages.post("/returns/<string:return_id>/<any(approve, receive):action>")
def return_step(return_id: str, action: str) -> Response | tuple[str, int]:
    try:
        api.post(f"/admin/returns/{return_id}/{action}")
    except api.ApiProblem as problem:
        return _returns(refused=(return_id, "", problem)), problem.status
    flash(t(f"admin.returns.done_{action}"))
    return back_to_list(url_for("admin.returns"))


@pages.post("/returns/<string:return_id>/reject")
def reject_return(return_id: str) -> Response | tuple[str, int]:
    reason = request.form.get("reason", "").strip()
    try:
        if not reason:
            raise form_problem({"reason": t("admin.form.required")})
        api.post(f"/admin/returns/{return_id}/reject", {"reason": reason})
    except api.ApiProblem as problem:
        return _returns(refused=(return_id, reason, problem)), problem.status
    flash(t("admin.returns.done_reject"))
    return back_to_list(url_for("admin.returns"))


def _returns(refused: tuple[str, str, api.ApiProblem] | None = None) -> str:
    args = list_args()
    status = args.get("status", "")
    status = status if status in RETURN_STATUSES else ""
    found = page_of("/admin/returns", status=status, cursor=args.get("cursor"))
    return render_template("admin/returns.html", page=found, status=status,
                           statuses=RETURN_STATUSES, refused=refused)


@pages.get("/tickets")
def tickets() -> str:
    status = request.args.get("status", "")
    status = status if status in TICKET_STATUSES else ""
    found = page_of("/admin/tickets", status=status, cursor=request.args.get("cursor"))
    return render_template("admin/tickets.html", page=found, status=status,
                           statuses=TICKET_STATUSES)


@pages.get("/tickets/<string:ticket_id>")
def ticket(ticket_id: str) -> str:
    return _ticket(ticket_id)


@pages.post("/tickets/<string:ticket_id>/messages")
def answer_ticket(ticket_id: str) -> Response | tuple[str, int]:
    message = request.form.get("message", "").strip()
    try:
        if not message:
            raise form_problem({"message": t("admin.form.required")})
        api.post(f"/tickets/{ticket_id}/messages", {"message": message})
    except api.ApiProblem as problem:
        return _ticket(ticket_id, message, problem), problem.status
    flash(t("admin.tickets.sent"))
    return redirect(url_for("admin.ticket", ticket_id=ticket_id))


@pages.post("/tickets/<string:ticket_id>/close")
def close_ticket(ticket_id: str) -> Response | tuple[str, int]:
    try:
        api.post(f"/tickets/{ticket_id}/close")
    except api.ApiProblem as problem:
        return _ticket(ticket_id, "", problem), problem.status
    flash(t("admin.tickets.closed"))
    return redirect(url_for("admin.ticket", ticket_id=ticket_id))


def _ticket(ticket_id: str, message: str = "", problem: api.ApiProblem | None = None) -> str:
    return render_template("admin/ticket.html", ticket=api.get(f"/tickets/{ticket_id}"),
                           message=message, problem=problem)
