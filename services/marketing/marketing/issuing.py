"""User coupons: issued by claiming, a redeem code, an admin or an event; listed, expired.

Quantity and per-user limit hold under any concurrency without reading then writing in
Python: the template's ``issued`` grows by a conditional UPDATE (``issued <
total_quantity``; on PostgreSQL it also queues concurrent issuers of one template on the
row), and the coupon is inserted by ``INSERT ... SELECT`` as the holder's n-th of the
template only while they hold fewer than ``per_user_limit``, with a unique (template,
user, nth) behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketing.domain import (
    CouponNotFound,
    CouponStatus,
    LimitReached,
    NotClaimable,
    OfferStatus,
    SoldOut,
    UnknownRedeemCode,
    level_template,
    status_at,
    validity,
)
from marketing.members import member_level
from marketing.models import CouponTemplate, UserCoupon
from marketing.templates import template_json
from service_runtime.db import Database
from service_runtime.ids import time_ordered_id, utcnow
from service_runtime.paging import Page, page_of


class Refused(Exception):
    """A coupon could not be issued; ``problem`` says why (raised by the HTTP use cases)."""

    def __init__(self, problem: Exception) -> None:
        super().__init__(str(problem))
        self.problem = problem


def issue(session: Session, template_id: str, user_id: str, source: str,
          at: datetime) -> UserCoupon:
    """In the caller's transaction: one more coupon of the template for ``user_id``, or
    :class:`Refused` (sold out, paused or expired, the holder's limit reached) with
    nothing changed."""
    taken = session.execute(
        update(CouponTemplate)
        .where(CouponTemplate.id == template_id,
               CouponTemplate.status == OfferStatus.ACTIVE.value,
               CouponTemplate.issued < CouponTemplate.total_quantity,
               or_(CouponTemplate.valid_until.is_(None), CouponTemplate.valid_until > at))
        .values(issued=CouponTemplate.issued + 1)
        .execution_options(synchronize_session=False)).rowcount
    template = session.get(CouponTemplate, template_id, populate_existing=True)
    if template is None:
        raise Refused(CouponNotFound(f"no coupon {template_id}"))
    if not taken:
        if template.status != OfferStatus.ACTIVE or (
                template.valid_until is not None and template.valid_until <= at):
            raise Refused(NotClaimable("this coupon is paused or no longer valid"))
        raise Refused(SoldOut(f"all {template.total_quantity} are gone"))
    coupon_id = time_ordered_id("ucp")
    valid_from, valid_until = validity(template.valid_from, template.valid_until,
                                       template.valid_days, at)
    held = (select(func.count()).select_from(UserCoupon)
            .where(UserCoupon.template_id == template_id, UserCoupon.user_id == user_id)
            .scalar_subquery())
    stamp = UserCoupon.issued_at.type
    row = select(
        literal(coupon_id), literal(template_id), literal(user_id), held + 1,
        literal(CouponStatus.AVAILABLE.value), literal(source), literal(valid_from, stamp),
        literal(valid_until, stamp), literal(at, stamp),
    ).where(held < template.per_user_limit)
    columns = ["id", "template_id", "user_id", "nth", "status", "source", "valid_from",
               "valid_until", "issued_at"]
    try:
        with session.begin_nested():
            inserted = session.execute(
                insert(UserCoupon).from_select(columns, row).returning(UserCoupon.id)).first()
    except IntegrityError:  # a concurrent claim by the same holder took this n-th
        inserted = None
    if inserted is None:
        session.execute(update(CouponTemplate).where(CouponTemplate.id == template_id)
                        .values(issued=CouponTemplate.issued - 1)
                        .execution_options(synchronize_session=False))
        raise Refused(LimitReached(f"at most {template.per_user_limit} per buyer"))
    return session.get(UserCoupon, coupon_id)


def held_coupon(coupon: UserCoupon, template: CouponTemplate, at: datetime) -> dict[str, Any]:
    """A user coupon as the API shows it: its state now and its template's terms."""
    return {"id": coupon.id, "template_id": template.id,
            "status": status_at(coupon.status, coupon.valid_until, at),
            "valid_from": coupon.valid_from, "valid_until": coupon.valid_until,
            "order_id": coupon.order_id, "issued_at": coupon.issued_at,
            "source": coupon.source, "template": template_json(template)}


def _issue_answer(db: Database, template_id: str | None, user_id: str, source: str,
                  code: str | None = None) -> dict[str, Any]:
    at = utcnow()
    try:
        with db.transaction() as session:
            if code is not None:
                template_id = session.scalar(select(CouponTemplate.id).where(
                    CouponTemplate.redeem_code == code.strip().upper()))
                if template_id is None:
                    raise UnknownRedeemCode("no coupon has this code")
            template = session.get(CouponTemplate, template_id)
            if template is None or (code is None and (not template.claimable
                                                      or template.redeem_code)):
                raise CouponNotFound(f"no coupon {template_id} to claim")
            levels = template.member_levels
            if levels and member_level(session, user_id) not in levels:
                raise NotClaimable(f"only for members of level {', '.join(levels)}")
            coupon = issue(session, template.id, user_id, source, at)
            return held_coupon(coupon, session.get(CouponTemplate, template.id), at)
    except Refused as refused:
        raise refused.problem from None


def claim(db: Database, template_id: str, user_id: str) -> dict[str, Any]:
    """A buyer claims one coupon of a public template."""
    return _issue_answer(db, template_id, user_id, "claim")


def redeem(db: Database, code: str, user_id: str) -> dict[str, Any]:
    """A buyer types a redeem code: one coupon of the template that has it."""
    return _issue_answer(db, None, user_id, "redeem", code=code)


def issue_to_users(db: Database, template_id: str, user_ids: Iterable[str]) -> dict[str, Any]:
    """An admin hands a coupon to each user (levels and claimability aside); those who
    could not get one (sold out, their limit) are listed with the reason."""
    at = utcnow()
    issued, refused = [], []
    with db.transaction() as session:
        if session.get(CouponTemplate, template_id) is None:
            raise CouponNotFound(f"no coupon template {template_id}")
        for user_id in dict.fromkeys(user_ids):
            try:
                issued.append({"user_id": user_id,
                               "user_coupon_id": issue(session, template_id, user_id,
                                                       "admin", at).id})
            except Refused as why:
                refused.append({"user_id": user_id, "reason": why.problem.slug})
    return {"issued": issued, "refused": refused}


def auto_issue(session: Session, trigger: str, user_id: str, at: datetime) -> list[str]:
    """In the consumer's transaction: a coupon of every active template issued on
    ``trigger`` (``new_user``, ``purchase_reward``, ``level:<level>``); an exhausted
    template (or the user's limit reached) issues nothing. The coupons' ids."""
    template_ids = session.scalars(
        select(CouponTemplate.id).where(CouponTemplate.auto_issue == trigger,
                                        CouponTemplate.status == OfferStatus.ACTIVE.value)
        .order_by(CouponTemplate.id))
    issued = []
    for template_id in list(template_ids):
        try:
            issued.append(issue(session, template_id, user_id, "auto", at).id)
        except Refused:
            continue
    return issued


def issue_for_level(session: Session, user_id: str, level: str, at: datetime) -> list[str]:
    return auto_issue(session, level_template(level), user_id, at)


def my_coupons(db: Database, user_id: str, status: str | None, limit: int,
               cursor: str | None) -> Page[dict[str, Any]]:
    """The buyer's coupons newest first, optionally of one status as it is now (an
    available coupon past its validity counts as expired before the job marks it)."""
    at = utcnow()
    with db.read() as session:
        query = (select(UserCoupon, CouponTemplate)
                 .join(CouponTemplate, CouponTemplate.id == UserCoupon.template_id)
                 .where(UserCoupon.user_id == user_id))
        query = query.where(*_status_filter(status, at)) if status else query
        if cursor:
            query = query.where(UserCoupon.id < cursor)
        rows = list(session.execute(query.order_by(UserCoupon.id.desc()).limit(limit + 1)))
    page = page_of(rows, limit, cursor_of=lambda row: row[0].id)
    return Page([held_coupon(coupon, template, at) for coupon, template in page.items],
                page.next_cursor)


def _status_filter(status: str, at: datetime) -> list[Any]:
    unexpired = or_(UserCoupon.valid_until.is_(None), UserCoupon.valid_until > at)
    if status == CouponStatus.AVAILABLE:
        return [UserCoupon.status == status, unexpired]
    if status == CouponStatus.EXPIRED:
        return [or_(UserCoupon.status == status,
                    and_(UserCoupon.status == CouponStatus.AVAILABLE.value,
                         UserCoupon.valid_until <= at))]
    return [UserCoupon.status == status]


def usable_coupons(session: Session, user_id: str,
                   at: datetime) -> list[tuple[UserCoupon, CouponTemplate]]:
    """The buyer's available coupons (valid now or later) with their templates."""
    return [(coupon, template) for coupon, template in session.execute(
        select(UserCoupon, CouponTemplate)
        .join(CouponTemplate, CouponTemplate.id == UserCoupon.template_id)
        .where(UserCoupon.user_id == user_id,
               UserCoupon.status == CouponStatus.AVAILABLE.value,
               or_(UserCoupon.valid_until.is_(None), UserCoupon.valid_until > at))
        .order_by(UserCoupon.id))]


def expire_coupons(db: Database, at: datetime) -> bool:
    """The expiry job's tick: mark available coupons past their validity expired."""
    with db.transaction() as session:
        session.execute(update(UserCoupon)
                        .where(UserCoupon.status == CouponStatus.AVAILABLE.value,
                               UserCoupon.valid_until <= at)
                        .values(status=CouponStatus.EXPIRED.value)
                        .execution_options(synchronize_session=False))
    return False
