"""One-time codes sent by SMS or e-mail: registration and passwordless login."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from service_runtime.db import Database
from service_runtime.ids import utcnow as now
from user.domain import (
    CODE_LIFETIME,
    CODE_RESEND_INTERVAL,
    MAX_CODE_ATTEMPTS,
    MAX_CODES_PER_HOUR,
    InvalidCode,
    TooManyCodes,
    code_message,
)
from user.models import Notification, VerificationCode


def _code_hash(purpose: str, target: str, code: str) -> str:
    return hashlib.sha256(f"{purpose}:{target}:{code}".encode()).hexdigest()


def send_code(db: Database, channel: str, target: str, purpose: str) -> int:
    """Make a code and queue its message in one transaction; return its lifetime in seconds.

    At most one code a minute and five an hour per address.
    """
    at = now()
    with db.transaction() as session:
        recent = list(session.scalars(
            select(VerificationCode.created_at).where(
                VerificationCode.target == target,
                VerificationCode.created_at > at - timedelta(hours=1))))
        if len(recent) >= MAX_CODES_PER_HOUR:
            raise TooManyCodes("at most five codes an hour", retry_after_s=3600)
        if recent and max(recent) > at - CODE_RESEND_INTERVAL:
            wait = int((max(recent) + CODE_RESEND_INTERVAL - at).total_seconds()) + 1
            raise TooManyCodes("one code a minute", retry_after_s=wait)
        code = f"{secrets.randbelow(10**6):06d}"
        session.add(VerificationCode(channel=channel, target=target, purpose=purpose,
                                     code_hash=_code_hash(purpose, target, code), attempts=0,
                                     expires_at=at + CODE_LIFETIME, created_at=at))
        session.add(Notification(channel=channel, target=target,
                                 body=code_message(code, purpose), created_at=at))
    return int(CODE_LIFETIME.total_seconds())


def use_code(db: Database, target: str, purpose: str, code: str) -> None:
    """Accept the newest live code for (target, purpose) once, or raise InvalidCode.

    Wrong guesses are counted (and committed) against the code; after five it is dead.
    """
    at = now()
    with db.transaction() as session:
        latest = session.scalars(
            select(VerificationCode).where(
                VerificationCode.target == target, VerificationCode.purpose == purpose,
                VerificationCode.consumed_at.is_(None), VerificationCode.expires_at > at)
            .order_by(VerificationCode.id.desc())).first()
        if latest is None:
            accepted = False
        elif latest.code_hash == _code_hash(purpose, target, code):
            accepted = session.execute(
                update(VerificationCode)
                .where(VerificationCode.id == latest.id, VerificationCode.consumed_at.is_(None),
                       VerificationCode.attempts < MAX_CODE_ATTEMPTS)
                .values(consumed_at=at)).rowcount == 1
        else:
            session.execute(update(VerificationCode).where(VerificationCode.id == latest.id)
                            .values(attempts=VerificationCode.attempts + 1))
            accepted = False
    if not accepted:
        raise InvalidCode()
