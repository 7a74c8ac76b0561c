"""A return request's progress timeline: one entry per step it went through."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from aftersales.models import ReturnRequest, ReturnStep

log = logging.getLogger(__name__)


def add_step(session: Session, return_id: str, step: str, at: datetime,
             note: str | None = None) -> None:
    session.execute(insert(ReturnStep).values(return_id=return_id, step=step, at=at,
                                              note=note[:1000] if note else None))


def step_once(session: Session, return_id: str, step: str, at: datetime,
              note: str | None = None) -> None:
    """A timeline entry from an event, once; an unknown request is logged and skipped."""
    if session.get(ReturnRequest, return_id) is None:
        log.warning("event for an unknown return request", extra={"return_id": return_id,
                                                                 "step": step})
        return
    seen = session.scalar(select(ReturnStep.id).where(ReturnStep.return_id == return_id,
                                                      ReturnStep.step == step))
    if seen is None:
        add_step(session, return_id, step, at, note)
