"""Behaviour tracking: a client's batch of events, each checked on its own, the good ones
appended (with the batches of concurrent requests: ``analytics.appender``).

A retried batch is not counted twice: every event is kept under (session, event id),
and the database drops one it holds already (``ON CONFLICT DO NOTHING``), so two
replicas taking the same retry at once cannot both keep it either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.dialects import postgresql, sqlite

from analytics.domain import content_event_id
from analytics.event_check import quick_load
from analytics.models import BehaviourEvent
from analytics.schemas import TrackEventSchema
from service_runtime.db import Database
from service_runtime.errors import InvalidInput, field_errors

EVENT_SCHEMA = TrackEventSchema()


@dataclass
class TrackResult:
    accepted: int = 0
    duplicates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def problems_of(messages: Any) -> list[dict[str, Any]]:
    """marshmallow's messages of one event as ``[{field, messages}]``."""
    return [{"field": error["field"], "messages": error["messages"]}
            for error in field_errors({"event": messages})]


def check_events(events: list[Any], user_id: str | None,
                 now: datetime) -> tuple[list[dict[str, Any]], TrackResult]:
    """The rows to keep (one per distinct valid event), and the result so far: the
    problems of each bad event by index, and the repeats within the batch."""
    result = TrackResult()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for index, raw in enumerate(events):
        if not isinstance(raw, dict):
            result.errors.append({"index": index, "problems": [
                {"field": "", "messages": ["An event is a JSON object."]}]})
            continue
        event = quick_load(raw, now)
        if event is None:  # perhaps not valid: the schema decides, and says why
            try:
                event = EVENT_SCHEMA.load(raw)
            except ValidationError as error:
                result.errors.append({"index": index, "problems": problems_of(error.messages)})
                continue
        key = (event["session_id"], event["event_id"] or content_event_id(event))
        if key in rows:
            result.duplicates += 1
            continue
        rows[key] = {
            "session_id": key[0], "event_id": key[1], "user_id": user_id,
            "type": event["type"], "name": event["name"], "occurred_at": event["occurred_at"],
            "received_at": now, "path": event["path"], "product_id": event["product_id"],
            "props": event["props"],
        }
    return list(rows.values()), result


def track(append: Callable[[list[dict[str, Any]]], int], events: list[Any],
          user_id: str | None, now: datetime) -> TrackResult:
    """Keep a batch's valid events (``append`` stores rows, answering how many were new);
    422, and nothing kept, when none is valid."""
    rows, result = check_events(events, user_id, now)
    if not rows:
        raise InvalidInput("no event of the batch is valid", errors=[
            {"location": "json", "field": f"events.{error['index']}.{problem['field']}".rstrip("."),
             "messages": problem["messages"]}
            for error in result.errors for problem in error["problems"]])
    result.accepted = append(rows)
    result.duplicates += len(rows) - result.accepted
    return result


def inserter(db: Database) -> Callable[[list[dict[str, Any]]], set[tuple[str, str]]]:
    """One transaction, one INSERT of every row (SQLAlchemy's insertmanyvalues makes the
    list of rows one multi-row statement), skipping those held already; it answers the
    (session, event id) of the rows it kept."""
    dialect = sqlite if db.is_sqlite else postgresql
    statement = (dialect.insert(BehaviourEvent)
                 .on_conflict_do_nothing(index_elements=["session_id", "event_id"])
                 .returning(BehaviourEvent.session_id, BehaviourEvent.event_id))

    def insert(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
        with db.transaction() as session:
            # Core, not the ORM's bulk path (which splits the rows into many statements).
            return {(s, e) for s, e in session.connection().execute(statement, rows)}

    return insert
