"""Projections: a service's local copy of another service's entity, kept from its events.

Events of different topics arrive in any order, more than once, and on several consumers
at a time. So a copy is made by whichever of its events arrives first (``ensure``), a fact
it learns is written once and never overwritten by a later repetition (``learn``), and its
status only moves forward along a declared order (``advance``). Each step is one
conditional statement, so two events racing on one entity neither fail nor undo each
other, on SQLite and PostgreSQL alike. Handlers run them in the consumer's session, with
the rest of what the event changes.

``StatusOrder`` and ``move_forward`` serve a service's own entities too (a shipment that
carrier events move on out of order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from service_runtime.db import insert_if_absent
from service_runtime.ids import utcnow


class StatusOrder:
    """Statuses in the order an entity goes through them; a status moves only forward.

    The last statuses may be ends reached from anywhere before them (a cancellation): an
    order ``pending, paid, shipped, cancelled`` lets a shipped copy be cancelled and keeps
    a cancelled one cancelled.
    """

    def __init__(self, *statuses: str) -> None:
        if len(set(statuses)) != len(statuses) or not statuses:
            raise ValueError(f"a status order needs distinct statuses: {statuses}")
        self.statuses = tuple(str(status) for status in statuses)

    @property
    def first(self) -> str:
        return self.statuses[0]

    def before(self, status: str) -> tuple[str, ...]:
        """The statuses an entity may move to ``status`` from (those earlier in the order)."""
        return self.statuses[:self.statuses.index(str(status))]


def move_forward(session: Session, status: InstrumentedAttribute, order: StatusOrder,
                 target: str, *where: ColumnElement[bool], **values: Any) -> bool:
    """Set ``status`` (a mapped column) to ``target``, with ``values``, on the rows ``where``
    selects that are earlier in ``order``; True if a row moved.

    A conditional UPDATE: of two racing moves of one row the database lets one win, and a
    repeated or late one (``in_transit`` after ``delivered``) changes nothing.
    """
    model = status.class_
    return session.execute(
        update(model).where(*where, status.in_(order.before(target)))
        .values({status.key: str(target), **values})
        .execution_options(synchronize_session=False)
    ).rowcount > 0


@dataclass(frozen=True)
class Projection:
    """The copies of one entity, rows of ``model`` with the entity's id in column ``key``.

    ``statuses``: the copy's forward-only status (column ``status``), a new copy starting
    at the first. ``stamp``: a column set to the current time on every change.
    """

    model: type
    key: str
    statuses: StatusOrder | None = None
    status: str = "status"
    stamp: str | None = "updated_at"

    def ensure(self, session: Session, key: Any, **known: Any) -> bool:
        """The copy of ``key`` exists afterwards; True if this call made it.

        ``known``: facts the event carries (None = not carried). A new copy is made with
        them; an existing one learns those it lacks (see ``learn``).
        """
        facts = {column: value for column, value in known.items() if value is not None}
        new = {self.key: key, **facts, **self._stamped()}
        if self.statuses is not None:
            new[self.status] = self.statuses.first
        if insert_if_absent(session, self.model, **new):
            return True
        for column, value in facts.items():
            self.learn(session, key, column, value)
        return False

    def learn(self, session: Session, key: Any, column: str, value: Any,
              **with_it: Any) -> bool:
        """Set ``column`` (and ``with_it``) of the copy unless ``column`` is set already;
        True if this call set it, so what only the first delivery of a fact should do
        (insert the order's lines) can follow."""
        return session.execute(
            update(self.model)
            .where(self._row(key), getattr(self.model, column).is_(None))
            .values({**with_it, column: value, **self._stamped()})
            .execution_options(synchronize_session=False)
        ).rowcount > 0

    def advance(self, session: Session, key: Any, target: str, **values: Any) -> bool:
        """Move the copy's status to ``target`` (with ``values``) unless it is there or
        further already; True if it moved."""
        if self.statuses is None:
            raise TypeError(f"{self.model.__name__} copies have no status order")
        return move_forward(session, getattr(self.model, self.status), self.statuses, target,
                            self._row(key), **{**values, **self._stamped()})

    def _row(self, key: Any) -> ColumnElement[bool]:
        return getattr(self.model, self.key) == key

    def _stamped(self) -> dict[str, Any]:
        return {self.stamp: utcnow()} if self.stamp else {}
