"""``python -m marketing flash-reconcile [--fix]``: the gate's counters against its
attempts (and the Redis copy against SQL).

Per item: SQL ``remaining`` = held - units of live (pending or ordered) attempts; per
buyer: ``bought`` = units of their live attempts; Redis (when configured and loaded)
holds the same two numbers; a pending attempt older than ``pending_grace_s`` has had
no answer from the order service (no order, no rejection). Every difference is one
line; ``--fix`` sets the counters from the attempts (SQL) and Redis from SQL. Run it
when the storm is over: an attempt being written is not yet counted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from marketing.flash_domain import LIVE_ATTEMPTS, AttemptStatus, FlashStockStatus
from marketing.flash_gate import RedisGate, gate_for
from marketing.flash_models import FlashAttempt, FlashBuyer, FlashItem
from marketing.settings import MarketingSettings
from service_runtime.db import Database
from service_runtime.ids import utcnow


def reconcile(db: Database, settings: MarketingSettings, *, fix: bool = False,
              pending_grace_s: float = 60.0) -> list[str]:
    """Every difference found (fixed, with ``fix``)."""
    differences: list[str] = []
    gate = gate_for(settings)
    with db.transaction() as session:
        items = list(session.scalars(select(FlashItem).where(
            FlashItem.stock_status == FlashStockStatus.HELD.value)))
        for item in items:
            where = (FlashAttempt.session_id == item.session_id, FlashAttempt.sku == item.sku,
                     FlashAttempt.status.in_(LIVE_ATTEMPTS))
            live = session.scalar(select(func.coalesce(func.sum(FlashAttempt.quantity), 0))
                                  .where(*where))
            name = f"{item.session_id} {item.sku}"
            if item.remaining != (item.held or 0) - live:
                differences.append(f"{name}: remaining {item.remaining} in SQL, held "
                                   f"{item.held} - {live} live = {(item.held or 0) - live}")
                if fix:
                    item.remaining = (item.held or 0) - live
            per_user = dict(session.execute(
                select(FlashAttempt.user_id, func.sum(FlashAttempt.quantity))
                .where(*where).group_by(FlashAttempt.user_id)).all())
            counted = dict(session.execute(
                select(FlashBuyer.user_id, FlashBuyer.bought)
                .where(FlashBuyer.session_id == item.session_id, FlashBuyer.sku == item.sku)
            ).all())
            for user_id in sorted(set(per_user) | set(counted)):
                if per_user.get(user_id, 0) != counted.get(user_id, 0):
                    differences.append(f"{name}: buyer {user_id} counted "
                                       f"{counted.get(user_id, 0)}, live attempts "
                                       f"{per_user.get(user_id, 0)}")
                    if fix:
                        session.execute(update(FlashBuyer).where(
                            FlashBuyer.session_id == item.session_id,
                            FlashBuyer.sku == item.sku, FlashBuyer.user_id == user_id)
                            .values(bought=per_user.get(user_id, 0)))
        stale = session.scalars(select(FlashAttempt).where(
            FlashAttempt.status == AttemptStatus.PENDING.value,
            FlashAttempt.created_at < utcnow() - timedelta(seconds=pending_grace_s)))
        differences += [f"attempt {attempt.id}: pending since "
                        f"{attempt.created_at.isoformat()}, no order and no rejection"
                        for attempt in stale]
    if isinstance(gate, RedisGate):
        differences += _redis_differences(db, gate, items, fix)
    return differences


def _redis_differences(db: Database, gate: RedisGate, items: list[FlashItem],
                       fix: bool) -> list[str]:
    differences = []
    with db.read() as session:
        for item in items:
            remaining, buyers = gate.counters(item.session_id, item.sku)
            if remaining is None:
                continue  # never asked for: loaded from SQL on the first attempt
            sql_remaining = session.scalar(select(FlashItem.remaining).where(
                FlashItem.session_id == item.session_id, FlashItem.sku == item.sku))
            sql_buyers = dict(session.execute(
                select(FlashBuyer.user_id, FlashBuyer.bought)
                .where(FlashBuyer.session_id == item.session_id, FlashBuyer.sku == item.sku,
                       FlashBuyer.bought > 0)).all())
            name = f"{item.session_id} {item.sku}"
            found = []
            if remaining != sql_remaining:
                found.append(f"{name}: remaining {remaining} in Redis, {sql_remaining} in SQL")
            found += [f"{name}: buyer {user} holds {buyers.get(user, 0)} in Redis, "
                      f"{sql_buyers.get(user, 0)} in SQL"
                      for user in sorted(set(buyers) | set(sql_buyers))
                      if buyers.get(user, 0) != sql_buyers.get(user, 0)]
            if found and fix:
                gate.load(db, item.session_id, item.sku, replace=True)
            differences += found
    return differences
