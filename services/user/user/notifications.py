"""Delivering the notification outbox.

Production plugs in an SMS / email gateway. The embedded default delivers to a local
mailbox: one text file per address under ``$SHOP_DATA_DIR/mailbox/``, read with
``python -m user mailbox <address>``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update

from service_runtime.config import data_dir
from service_runtime.db import Database
from user.models import Notification
from user.service import now

log = logging.getLogger(__name__)


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


def deliver_pending(db: Database, mailbox: LocalMailbox, limit: int = 100) -> int:
    """Send what is waiting, oldest first; a row is marked sent only after delivery."""
    with db.read() as session:
        pending = list(session.scalars(select(Notification).where(Notification.sent_at.is_(None))
                                       .order_by(Notification.id).limit(limit)))
    for note in pending:
        mailbox.deliver(note.channel, note.target, note.body, note.created_at.isoformat())
        with db.transaction() as session:
            session.execute(update(Notification).where(Notification.id == note.id)
                            .values(sent_at=now()))
    return len(pending)


def notification_sender(db: Database) -> Callable[[threading.Event], None]:
    """The worker loop that empties the notification outbox."""
    mailbox = LocalMailbox()

    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if deliver_pending(db, mailbox) == 0:
                    stop.wait(0.5)
            except Exception:
                log.exception("notification delivery failed; retrying")
                stop.wait(2)

    return run
