"""The feed's entities as plain state: how each business event changes one (pure Python).

Each function takes the entity's state as last published (``{}`` for a new one) and the
event's data, and returns the new state; the same state back means the event changed
nothing the feed shows (a second payment, an older membership), and no record is made.
The rules never depend on the order events arrive in: timestamps that only move forward,
totals that only grow, statuses ranked, first facts kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from event_contracts.integration import Change

State = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _money(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else {"amount": value["amount"], "currency": value["currency"]}


def _first(state: State, **values: Any) -> State:
    """``values`` where the state has none yet (first facts win)."""
    return {**state, **{k: v for k, v in values.items() if state.get(k) is None}}


def order_status(state: State) -> str:
    if state.get("completed_at"):
        return "completed"
    if state.get("cancelled_at"):
        return "cancelled"
    if state.get("paid_at"):
        return "paid"
    return "placed" if state.get("placed_at") else "unknown"


def _order(state: State, order_id: str, user_id: str) -> State:
    base = {"order_id": order_id, "user_id": user_id, "total": None, "lines": [],
            "placed_at": None, "paid_at": None, "cancelled_at": None, "completed_at": None,
            "cancel_reason": None, "refunded": 0}
    return {**base, **state}


def _with_status(state: State) -> State:
    return {**state, "status": order_status(state)}


def order_placed(state: State, data: dict[str, Any]) -> State:
    state = _order(state, data["order_id"], data["user_id"])
    if state["placed_at"] is not None:
        return state
    lines = [{"sku": line["sku"], "quantity": line["quantity"],
              "product_id": line.get("product_id")} for line in data["lines"]]
    return _with_status({**state, "total": _money(data["total"]), "lines": lines,
                         "placed_at": iso(data["placed_at"])})


def order_paid(state: State, data: dict[str, Any]) -> State:
    state = _order(state, data["order_id"], data["user_id"])
    return _with_status(_first(state, paid_at=iso(data["confirmed_at"])))


def order_cancelled(state: State, data: dict[str, Any]) -> State:
    state = _order(state, data["order_id"], data["user_id"])
    return _with_status(_first(state, cancelled_at=iso(data["cancelled_at"]),
                               cancel_reason=data["reason"]))


def order_completed(state: State, data: dict[str, Any]) -> State:
    state = _order(state, data["order_id"], data["user_id"])
    return _with_status(_first(state, completed_at=iso(data["completed_at"])))


def order_refunded(state: State, data: dict[str, Any]) -> State:
    """``refunded_total`` is cumulative: the largest one heard is the order's refund."""
    if data.get("duplicate_payment"):
        return state  # a second charge given back: the order itself is not refunded
    state = _order(state, data["order_id"], data["user_id"])
    return _with_status({**state, "refunded": max(state["refunded"],
                                                  data["refunded_total"]["amount"])})


def _newer(state: State, field: str, at: datetime) -> bool:
    known = state.get(field)
    return known is None or datetime.fromisoformat(known) < at


def stock_changed(state: State, product: dict[str, Any], sku: dict[str, Any]) -> State:
    """One SKU of a ``ProductUpdated``: the newest ``updated_at`` wins."""
    if not _newer(state, "updated_at", product["updated_at"]):
        return state
    new = {"sku": sku["sku"], "product_id": product["product_id"],
           "available": sku["available"], "price": _money(sku["price"]),
           "updated_at": iso(product["updated_at"])}
    same = {k: v for k, v in new.items() if k != "updated_at"} == \
        {k: state.get(k) for k in new if k != "updated_at"}
    # A product edit that left this SKU's stock and price alone is no change of it.
    return state if same else new


def _member(state: State, user_id: str) -> State:
    base = {"user_id": user_id, "nickname": None, "registered_at": None, "level": None,
            "growth": None, "points_balance": None, "membership_changed_at": None}
    return {**base, **state}


def member_registered(state: State, data: dict[str, Any]) -> State:
    return _first(_member(state, data["user_id"]), nickname=data["nickname"],
                  registered_at=iso(data["registered_at"]))


def membership_changed(state: State, data: dict[str, Any]) -> State:
    state = _member(state, data["user_id"])
    if not _newer(state, "membership_changed_at", data["changed_at"]):
        return state
    return {**state, "level": data["level"], "growth": data["growth"],
            "points_balance": data["points_balance"],
            "membership_changed_at": iso(data["changed_at"])}


PAYMENT_RANK = {"cash_on_delivery": 1, "failed": 2, "confirmed": 3}


def payment(state: State, data: dict[str, Any], status: str, at: datetime) -> State:
    """A payment's status only moves up the rank (a confirmation is never undone)."""
    if state and PAYMENT_RANK[state["status"]] >= PAYMENT_RANK[status]:
        return state
    return {"payment_id": data["payment_id"], "order_id": data["order_id"],
            "user_id": data["user_id"], "status": status, "method": data.get("method",
                                                                          state.get("method")),
            "amount": _money(data.get("amount")) or state.get("amount"),
            "failure_reason": data.get("reason"), "at": iso(at)}


def refund_issued(state: State, data: dict[str, Any]) -> State:
    if state:
        return state
    return {"refund_id": data["refund_id"], "order_id": data["order_id"],
            "user_id": data["user_id"], "amount": _money(data["amount"]),
            "method": data["method"], "destination": data["destination"],
            "fully_refunded": data["fully_refunded"],
            "duplicate_payment": bool(data.get("duplicate_payment")),
            "issued_at": iso(data["issued_at"])}


__all__ = ["Change", "State"]
