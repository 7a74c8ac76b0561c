"""Delivering the notification outbox.

Production plugs in an SMS / email gateway. The embedded default delivers to a local
mailbox: one text file per address under ``$SHOP_DATA_DIR/mailbox/``, read with
``python -m user mailbox <address>``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import update

from service_runtime.config import data_dir
from service_runtime.db import Database
from service_runtime.ids import utcnow as now
from service_runtime.jobs import RowJob
from user.models import Notification


class LocalMailbox:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or data_dir() / "mailbox"

    def path(self, target: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "@.+-_" else "_" for c in target)
        return self.directory / f"{safe}.txt"

    def deliver(self, channel: str, target: str, body: str, at: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.path(target).open("a", encoding="utf-8") as mailbox:
            mailbox.write(f"--- {at} via {channel} to {target}\n{body}\n")

    def read(self, target: str) -> str:
        path = self.path(target)
        return path.read_text(encoding="utf-8") if path.exists() else ""


def _delivery(mailbox: LocalMailbox, batch: int = 100) -> RowJob:
    def deliver(db: Database, note_id: int, at: datetime) -> None:
        with db.read() as session:
            note = session.get(Notification, note_id)
        assert note is not None
        mailbox.deliver(note.channel, note.target, note.body, note.created_at.isoformat())
        with db.transaction() as session:
            session.execute(update(Notification).where(Notification.id == note_id)
                            .values(sent_at=now()))

    return RowJob(service="user", name="notification-delivery", model=Notification,
                  pending=lambda: Notification.sent_at.is_(None), run=deliver,
                  batch=batch, max_attempts=10)


def deliver_pending(db: Database, mailbox: LocalMailbox, limit: int = 100) -> int:
    """Send what is waiting, oldest first; a row is marked sent only after delivery."""
    return _delivery(mailbox, limit).run_due(db).claimed


def notification_sender(db: Database) -> Callable[[threading.Event], None]:
    """The worker loop that empties the notification outbox."""
    return _delivery(LocalMailbox()).loop(db)
