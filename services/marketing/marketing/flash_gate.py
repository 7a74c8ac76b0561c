"""The flash gate: who gets a unit, decided before anything reaches the order path.

One interface, two backends (``gate_for(settings)``):

- :class:`SqlGate` (the embedded default): the attempt's transaction takes the units by
  conditional UPDATEs (``flash_attempts.record_win``).
- :class:`RedisGate` (``FLASH_GATE_REDIS_URL`` set): a Lua script checks and takes the
  units and the buyer's count atomically in Redis, so losers never reach SQL; a winner
  then runs the same SQL transaction, and when that fails gives the units back in Redis
  with a second script. Redis counters are loaded from SQL the first time an item is
  asked for after its stock was held (``SET NX``), and given back by the worker (after
  its transaction commits) when an attempt is rejected or its order cancelled.
  ``python -m marketing flash-reconcile`` compares them with SQL and the attempts.

Both backends keep the sold-out memo: an item found with nothing left is answered
``sold-out`` from this process's memory for ``flash_sold_out_memo_ms`` (a unit given back
in between is sold again after the memo, or as soon as this process sells one). The
route asks it before it verifies the token, parses the body or touches the database
(``known_sold_out``; ``attempt`` itself always asks the counters): during a storm nearly
every attempt is such a loser, and the fact is public. The route still wants an
``Authorization`` header there, so an anonymous caller is told to sign in.

Item facts (window, price, limit) are cached per process for about a second once the
stock is held, so a storm's sold-out answers read nothing but memory (and Redis); an
admin's early end therefore reaches the gate up to a second late (an order made from
such an attempt reserves normal stock: the catalog closed the hold).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from marketing import flash_attempts
from marketing.flash_domain import (
    Ended,
    FlashSessionStatus,
    FlashStockStatus,
    LimitReached,
    NotStarted,
    SessionNotFound,
    SoldOut,
)
from marketing.flash_models import FlashAttempt, FlashBuyer, FlashItem, FlashSession
from marketing.settings import MarketingSettings
from service_runtime.db import Database
from service_runtime.idempotency import IdempotencyKey, create_once, find_earlier
from service_runtime.ids import utcnow

ITEM_FACTS_TTL_S = 1.0


@dataclass(frozen=True)
class ItemFacts:
    session_id: str
    sku: str
    product_id: int | None
    flash_price: int
    currency: str
    per_user_limit: int
    starts_at: datetime
    ends_at: datetime
    ended: bool
    payment_seconds: int
    held: bool


@dataclass(frozen=True)
class Attempt:
    """What the buyer asked the gate for."""

    user_id: str
    quantity: int
    address_id: str
    delivery_method: str
    key: IdempotencyKey | None = None  # the request's Idempotency-Key


class _FactsCache:
    def __init__(self) -> None:
        self._facts: dict[tuple[str, str], tuple[float, ItemFacts]] = {}

    def get(self, db: Database, session_id: str, sku: str) -> ItemFacts:
        now = time.monotonic()
        cached = self._facts.get((session_id, sku))
        if cached is not None and cached[0] > now:
            return cached[1]
        with db.read() as session:
            row = session.execute(
                select(FlashItem, FlashSession)
                .join(FlashSession, FlashSession.id == FlashItem.session_id)
                .where(FlashItem.session_id == session_id, FlashItem.sku == sku)).first()
        if row is None:
            raise SessionNotFound(f"no item {sku} in flash session {session_id}")
        item, flash = row
        facts = ItemFacts(session_id, sku, item.product_id, item.flash_price, item.currency,
                          item.per_user_limit, flash.starts_at, flash.ends_at,
                          flash.status == FlashSessionStatus.ENDED, flash.payment_seconds,
                          item.stock_status == FlashStockStatus.HELD)
        if facts.held:  # before, the next request asks again (FlashStockHeld may arrive)
            self._facts[(session_id, sku)] = (now + ITEM_FACTS_TTL_S, facts)
        return facts


def check_open(facts: ItemFacts, at: datetime) -> None:
    if facts.ended or at >= facts.ends_at:
        raise Ended(f"flash session {facts.session_id} ended at {facts.ends_at.isoformat()}")
    if at < facts.starts_at or not facts.held:
        raise NotStarted(f"flash session {facts.session_id} opens at "
                         f"{facts.starts_at.isoformat()}"
                         + ("" if facts.held else " (its stock is being set apart)"))


class Gate:
    """Answers one attempt: the attempt's JSON (202) or a 409 problem."""

    def __init__(self, memo_s: float) -> None:
        self.facts = _FactsCache()
        self.memo_s = memo_s
        self._sold_out_until: dict[tuple[str, str], float] = {}
        # A lapsed memo: until when one attempt is asking the database again.
        self._asking: dict[tuple[str, str], float] = {}
        self._memo_lock = threading.Lock()

    def known_sold_out(self, session_id: str, sku: str) -> bool:
        """This process found the item sold out less than ``memo_s`` ago: the answer
        needs no token, no body and no database (the route asks this first). Once the
        memo lapsed, one caller is let through to ask again while the others are still
        answered sold-out (for at most another ``memo_s``): else every attempt arriving
        meanwhile would run a transaction, the more of them the busier the database."""
        key = (session_id, sku)
        until = self._sold_out_until.get(key)
        if until is None:
            return False
        now = time.monotonic()
        if until > now:
            return True
        with self._memo_lock:
            if self._asking.get(key, 0.0) > now:
                return True
            self._asking[key] = now + self.memo_s
            return False

    def _found_sold_out(self, session_id: str, sku: str) -> None:
        if self.memo_s > 0:
            with self._memo_lock:
                if len(self._sold_out_until) > 10_000:  # bounded: a stale entry delays nobody
                    self._sold_out_until.clear()
                    self._asking.clear()
                self._sold_out_until[(session_id, sku)] = time.monotonic() + self.memo_s
                self._asking.pop((session_id, sku), None)

    def _found_units(self, session_id: str, sku: str) -> None:
        """A unit was sold (one was given back meanwhile): no longer sold out."""
        if (session_id, sku) in self._sold_out_until:
            with self._memo_lock:
                self._sold_out_until.pop((session_id, sku), None)
                self._asking.pop((session_id, sku), None)

    def attempt(self, db: Database, session_id: str, sku: str, wanted: Attempt
                ) -> tuple[dict[str, Any], bool]:
        """(the won attempt, True); or, for a request whose Idempotency-Key won before,
        (that attempt as it is now, False) with nothing taken."""
        at = utcnow()
        facts = self.facts.get(db, session_id, sku)

        def take() -> dict[str, Any]:
            check_open(facts, at)
            if wanted.quantity > facts.per_user_limit:
                raise LimitReached(f"at most {facts.per_user_limit} per buyer")
            won = self._take(db, facts, wanted, at)
            self._found_units(session_id, sku)
            return won

        try:
            found, won = create_once(db, FlashAttempt, wanted.user_id, wanted.key, take)
        except LimitReached:
            # The buyer's limit may be full because a press with this very key won a
            # moment ago (a double press): then that attempt is the answer.
            found = wanted.key and find_earlier(db, FlashAttempt, wanted.user_id, wanted.key)
            if not found:
                raise
            won = False
        if won:
            return found, True
        return {"attempt_id": found.id, "status": found.status, "server_time": at}, False

    def _take(self, db: Database, facts: ItemFacts, wanted: Attempt,
              at: datetime) -> dict[str, Any]:
        raise NotImplementedError

    def give_back(self, session_id: str, sku: str, user_id: str, quantity: int) -> None:
        """Units of an ended attempt are sellable again (SQL was updated by the caller)."""


class SqlGate(Gate):
    def __init__(self, memo_s: float) -> None:
        super().__init__(memo_s)
        # A buyer found at their limit is answered from memory for as long (a bot retrying).
        self._limit_until: dict[tuple[str, str, str], float] = {}

    def _take(self, db: Database, facts: ItemFacts, wanted: Attempt,
              at: datetime) -> dict[str, Any]:
        key = (facts.session_id, facts.sku)
        buyer = (facts.session_id, facts.sku, wanted.user_id)
        now = time.monotonic()
        if self._limit_until.get(buyer, 0.0) > now:
            raise LimitReached(f"at most {facts.per_user_limit} per buyer")
        try:
            return flash_attempts.record_win(db, facts, wanted, at)
        except SoldOut:
            if flash_attempts.remaining(db, *key) == 0:
                self._found_sold_out(*key)
            raise
        except LimitReached:
            if len(self._limit_until) > 100_000:  # bounded: old entries only delay nobody
                self._limit_until.clear()
            self._limit_until[buyer] = time.monotonic() + self.memo_s
            raise


# KEYS: remaining, buyers (hash user -> units); ARGV: quantity, limit, user.
# 1 taken, 0 sold out, -1 limit reached, -2 not loaded yet.
TAKE = """
local left = redis.call('GET', KEYS[1])
if not left then return -2 end
local q = tonumber(ARGV[1])
if tonumber(left) < q then return 0 end
local had = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
if had + q > tonumber(ARGV[2]) then return -1 end
redis.call('DECRBY', KEYS[1], q)
redis.call('HINCRBY', KEYS[2], ARGV[3], q)
return 1
"""
GIVE_BACK = """
if not redis.call('GET', KEYS[1]) then return 0 end
redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[2], ARGV[2], -tonumber(ARGV[1])) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return 1
"""
# KEYS: remaining, buyers; ARGV: remaining, then user, units pairs. Loads once.
LOAD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('DEL', KEYS[2])
  for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
  return 1
end
return 0
"""


class RedisGate(Gate):
    def __init__(self, memo_s: float, url: str, prefix: str) -> None:
        import redis

        super().__init__(memo_s)
        self.redis = redis.Redis.from_url(url)
        self.prefix = prefix
        self._take_script = self.redis.register_script(TAKE)
        self._give_back_script = self.redis.register_script(GIVE_BACK)
        self._load_script = self.redis.register_script(LOAD)

    def keys(self, session_id: str, sku: str) -> list[str]:
        # One hash tag per item: both keys live in one slot of a Redis cluster.
        base = f"{self.prefix}{{{session_id}:{sku}}}"
        return [base + ":remaining", base + ":buyers"]

    def load(self, db: Database, session_id: str, sku: str, *, replace: bool = False) -> bool:
        """Copy an item's counters from SQL (``replace``: over what Redis holds)."""
        keys = self.keys(session_id, sku)
        with db.read() as session:
            remaining = session.scalar(select(FlashItem.remaining).where(
                FlashItem.session_id == session_id, FlashItem.sku == sku))
            buyers = session.execute(select(FlashBuyer.user_id, FlashBuyer.bought).where(
                FlashBuyer.session_id == session_id, FlashBuyer.sku == sku,
                FlashBuyer.bought > 0)).all()
        if remaining is None:
            return False
        if replace:
            self.redis.delete(*keys)
        pairs = [str(value) for row in buyers for value in row]
        return bool(self._load_script(keys=keys, args=[remaining, *pairs]))

    def counters(self, session_id: str, sku: str) -> tuple[int | None, dict[str, int]]:
        remaining_key, buyers_key = self.keys(session_id, sku)
        remaining = self.redis.get(remaining_key)
        buyers = {user.decode(): int(units)
                  for user, units in self.redis.hgetall(buyers_key).items()}
        return (None if remaining is None else int(remaining)), buyers

    def _take(self, db: Database, facts: ItemFacts, wanted: Attempt,
              at: datetime) -> dict[str, Any]:
        keys = self.keys(facts.session_id, facts.sku)
        args = [wanted.quantity, facts.per_user_limit, wanted.user_id]
        taken = self._take_script(keys=keys, args=args)
        if taken == -2:
            self.load(db, facts.session_id, facts.sku)
            taken = self._take_script(keys=keys, args=args)
        if taken == 0:
            if self.redis.get(keys[0]) in (b"0", b"-0"):  # none left, not just fewer than q
                self._found_sold_out(facts.session_id, facts.sku)
            raise SoldOut(f"{facts.sku} is sold out")
        if taken != 1:
            raise LimitReached(f"at most {facts.per_user_limit} per buyer")
        try:
            return flash_attempts.record_win(db, facts, wanted, at)
        except BaseException:
            self.give_back(facts.session_id, facts.sku, wanted.user_id, wanted.quantity)
            raise

    def give_back(self, session_id: str, sku: str, user_id: str, quantity: int) -> None:
        self._give_back_script(keys=self.keys(session_id, sku), args=[quantity, user_id])


_GATES: dict[tuple[str, str, float], Gate] = {}
_LOCK = threading.Lock()


def gate_for(settings: MarketingSettings) -> Gate:
    """This process's gate for ``settings`` (one per configuration: the memo and the
    item facts are shared by every request the process serves)."""
    key = (settings.flash_gate_redis_url, settings.flash_gate_redis_prefix,
           settings.flash_sold_out_memo_ms / 1000)
    with _LOCK:
        if key not in _GATES:
            _GATES[key] = (RedisGate(key[2], key[0], key[1]) if key[0]
                           else SqlGate(key[2]))
        return _GATES[key]
