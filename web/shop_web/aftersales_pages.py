"""After-sales: asking for a refund, a return or an exchange of an order's lines and
following its progress, and customer-service tickets (a conversation with the shop).

As on the order pages, a refusal of the API re-renders the form with a readable message
and everything the shopper typed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request
from werkzeug.wrappers import Response

from shop_web import aftersales_texts  # noqa: F401  (registers the area's texts)
from shop_web import gateway_client as api
from shop_web.i18n import t
from shop_web.my_orders import describe_lines, integer, readable

pages = Blueprint("aftersales", __name__)

PAGE_SIZE = 10
RETURN_TYPES = ("refund_only", "return_refund", "exchange")


# -- returns, refunds, exchanges --------------------------------------------------------


@pages.get("/orders/<order_id>/returns/new")
def new_return(order_id: str) -> str:
    order = api.get(f"/orders/{order_id}")
    lines = describe_lines(order["lines"])
    typed = {"type": request.args.get("type", "refund_only"), "reason": "",
             "quantities": [line["quantity"] for line in lines]}
    return _return_form(order, lines, typed)


@pages.post("/orders/<order_id>/returns")
def request_return(order_id: str) -> Response | tuple[str, int]:
    order = api.get(f"/orders/{order_id}")
    lines = describe_lines(order["lines"])
    quantities = [request.form.get(f"quantity-{index}", "0").strip() or "0"
                  for index in range(len(lines))]
    typed = {"type": request.form.get("type", ""), "reason": request.form.get("reason", "").strip(),
             "quantities": quantities}
    wanted = [{"sku": line["sku"], "quantity": integer(quantity)}
              for line, quantity in zip(lines, quantities, strict=True) if quantity != "0"]
    try:
        created = api.post("/returns", {"order_id": order_id, "type": typed["type"],
                                        "lines": wanted, "reason": typed["reason"]},
                           idempotency_key=request.form.get("idempotency_key") or None)
    except api.ApiProblem as problem:
        return _return_form(order, lines, typed, problem), problem.status
    flash(t("aftersales.requested"))
    return redirect(f"/returns/{created['id']}")


def _return_form(order: dict[str, Any], lines: list[dict[str, Any]], typed: dict[str, Any],
                 problem: api.ApiProblem | None = None) -> str:
    # A fresh key on every rendering: a refused request created nothing, so the corrected
    # one is a new intent; a double click on one rendering sends the same key twice.
    return render_template("aftersales/return_form.html", order=order, lines=lines,
                           typed=typed, types=RETURN_TYPES, problem=problem,
                           message=readable(problem) if problem else None,
                           idempotency_key=api.new_idempotency_key())


@pages.get("/returns")
def return_list() -> str:
    found = api.get("/returns", limit=PAGE_SIZE, cursor=request.args.get("cursor"))
    return render_template("aftersales/returns.html", returns=found["items"],
                           next_cursor=found.get("next_cursor"),
                           first_page=not request.args.get("cursor"))


@pages.get("/returns/<return_id>")
def return_detail(return_id: str) -> str:
    found = api.get(f"/returns/{return_id}")
    try:
        bought = describe_lines(api.get(f"/orders/{found['order_id']}")["lines"])
    except api.ApiProblem:
        bought = []  # the request still reads without the order's names
    names = {line["sku"]: line for line in bought}
    lines = [{**line, **{k: names[line["sku"]][k] for k in ("name", "variant", "image", "brand")}}
             if line["sku"] in names else {**line, "name": line["sku"], "variant": "",
                                            "image": None, "brand": ""}
             for line in found["lines"]]
    return render_template("aftersales/return_detail.html", request_=found, lines=lines)


# -- customer-service tickets -----------------------------------------------------------


@pages.get("/tickets")
def ticket_list() -> str:
    found = api.get("/tickets", limit=PAGE_SIZE, cursor=request.args.get("cursor"))
    return render_template("aftersales/tickets.html", tickets=found["items"],
                           next_cursor=found.get("next_cursor"),
                           first_page=not request.args.get("cursor"))


@pages.get("/tickets/new")
def new_ticket() -> str:
    typed = {"order_id": request.args.get("order_id", ""), "subject": "", "message": ""}
    return render_template("aftersales/ticket_form.html", typed=typed, problem=None,
                           message=None)


@pages.post("/tickets/new")
def open_ticket() -> Response | tuple[str, int]:
    typed = {name: request.form.get(name, "").strip()
             for name in ("order_id", "subject", "message")}
    try:
        ticket = api.post("/tickets", {"order_id": typed["order_id"] or None,
                                       "subject": typed["subject"],
                                       "message": typed["message"]})
    except api.ApiProblem as problem:
        return render_template("aftersales/ticket_form.html", typed=typed, problem=problem,
                               message=readable(problem)), problem.status
    flash(t("aftersales.ticket_opened"))
    return redirect(f"/tickets/{ticket['id']}")


@pages.get("/tickets/<ticket_id>")
def ticket_detail(ticket_id: str) -> str:
    return _ticket_page(ticket_id)[0]


def _ticket_page(ticket_id: str, problem: api.ApiProblem | None = None,
                 reply: str = "") -> tuple[str, int]:
    ticket = api.get(f"/tickets/{ticket_id}")
    page = render_template("aftersales/ticket_detail.html", ticket=ticket, reply=reply,
                           problem=problem, message=readable(problem) if problem else None)
    return page, problem.status if problem else 200


@pages.post("/tickets/<ticket_id>/messages")
def reply_to_ticket(ticket_id: str) -> Response | tuple[str, int]:
    reply = request.form.get("message", "").strip()
    try:
        api.post(f"/tickets/{ticket_id}/messages", {"message": reply})
    except api.ApiProblem as problem:
        return _ticket_page(ticket_id, problem, reply)
    return redirect(f"/tickets/{ticket_id}#conversation")


@pages.post("/tickets/<ticket_id>/close")
def close_ticket(ticket_id: str) -> Response | tuple[str, int]:
    try:
        api.post(f"/tickets/{ticket_id}/close")
    except api.ApiProblem as problem:
        return _ticket_page(ticket_id, problem)
    flash(t("aftersales.ticket_closed"))
    return redirect(f"/tickets/{ticket_id}")
