"""Copies of other services' facts pricing needs, kept from their events: a product's
brand and category path (``ProductUpdated``) and a member's level and points balance
(``MembershipChanged``). The newest wins: an older event arriving late changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from event_contracts.membership import MemberLevel
from marketing.models import MemberView, ProductView, SkuListPrice
from service_runtime.db import insert_if_absent


def _newest_wins(session: Session, model: type, key: Any, stamp: str, at: datetime,
                 **values: Any) -> None:
    """Insert the copy, or overwrite it if it is older than ``at``: one conditional
    statement each, so two events racing on one copy leave the newer one."""
    key_column = next(iter(model.__table__.primary_key.columns)).name
    if insert_if_absent(session, model, **{key_column: key, stamp: at, **values}):
        return
    session.execute(update(model)
                    .where(getattr(model, key_column) == key, getattr(model, stamp) < at)
                    .values({stamp: at, **values})
                    .execution_options(synchronize_session=False))


def record_product(session: Session, data: dict[str, Any]) -> None:
    path = data.get("category_path") or [data["category_id"]]
    _newest_wins(session, ProductView, data["product_id"], "updated_at", data["updated_at"],
                 brand=data["brand"], category_path=list(path))


def record_list_prices(session: Session, data: dict[str, Any]) -> None:
    """Each SKU's list price, shown next to a campaign's price."""
    for sku in data.get("skus") or []:
        _newest_wins(session, SkuListPrice, sku["sku"], "updated_at", data["updated_at"],
                     amount=sku["price"]["amount"], currency=sku["price"]["currency"])


def record_membership(session: Session, data: dict[str, Any]) -> None:
    _newest_wins(session, MemberView, data["user_id"], "changed_at", data["changed_at"],
                 level=data["level"], growth=data["growth"],
                 points_balance=data["points_balance"])


def member(session: Session, user_id: str) -> MemberView | None:
    return session.get(MemberView, user_id)


def member_level(session: Session, user_id: str) -> str:
    """The member's level as last heard (``regular`` before any change was heard)."""
    level = session.scalar(select(MemberView.level).where(MemberView.user_id == user_id))
    return level or MemberLevel.REGULAR.value


def products(session: Session, product_ids: Iterable[int]) -> dict[int, ProductView]:
    ids = {pid for pid in product_ids if pid is not None}
    if not ids:
        return {}
    return {row.product_id: row for row in
            session.scalars(select(ProductView).where(ProductView.product_id.in_(ids)))}
