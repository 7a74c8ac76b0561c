"""A sign-in after login: refreshing it, ending it, and the deny-list of ended sign-ins.

A sign-in is a refresh-token family; its id is the ``sid`` of every access token it
issued. Ending one revokes its refresh tokens, records the session id (served to every
verifier at ``GET /internal/revocations``) and emits ``SessionsRevoked``, in one
transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from service_runtime.auth import AuthSettings
from service_runtime.db import Database
from service_runtime.errors import InvalidInput
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox
from user.domain import (
    REVOCATION_MARGIN,
    AccountLocked,
    InvalidRefreshToken,
    SessionEnd,
    is_locked,
)
from user.keys import signing_keys
from user.models import RefreshToken, SessionRevocation, User
from user.tokens import TokenPair, issue_pair, token_hash

outbox = Outbox("user")

# A verifier asks again from a little before its last answer: a revocation written just
# before that answer may commit just after it, and user-service clocks may differ a little.
CURSOR_OVERLAP = timedelta(seconds=10)


def refresh(db: Database, refresh_token: str, settings: AuthSettings) -> TokenPair:
    """Rotate: the old token stops working. Reusing a rotated token revokes the family.

    A locked account cannot refresh; its token is left as it was, so it works again
    once the lock has passed.
    """
    at = now()
    key = signing_keys(db)[0]
    with db.transaction() as session:
        token = session.get(RefreshToken, token_hash(refresh_token))
        if token is None or token.revoked_at is not None or token.expires_at <= at:
            raise InvalidRefreshToken()
        user = session.get(User, token.user_id)
        # The family's tokens are revoked with the sign-in, but a rotation committing
        # during the revocation can leave its new token out: the record settles it.
        if user is None or session.get(SessionRevocation, token.family_id) is not None:
            raise InvalidRefreshToken()
        # A replayed token is a theft whether or not the account is locked: it still ends
        # the family below.
        if token.used_at is None and is_locked(user.locked_until, at):
            raise AccountLocked(f"try again after {user.locked_until.isoformat()}",
                                locked_until=user.locked_until.isoformat())
        claimed = session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == token.token_hash, RefreshToken.used_at.is_(None))
            .values(used_at=at)).rowcount
        if claimed == 1:
            return issue_pair(session, key, user, token.family_id, settings)
    # A rotated token came back: someone else holds a copy. End the whole login.
    revoke_session(db, token.user_id, token.family_id, SessionEnd.REFRESH_TOKEN_REUSED, settings)
    raise InvalidRefreshToken("this refresh token was already used; sign in again")


def logout(db: Database, refresh_token: str, settings: AuthSettings) -> None:
    """End the sign-in the refresh token belongs to; an unknown token changes nothing."""
    with db.read() as session:
        token = session.get(RefreshToken, token_hash(refresh_token))
    if token is not None:
        revoke_session(db, token.user_id, token.family_id, SessionEnd.LOGOUT, settings)


def revoke_session(db: Database, user_id: str, session_id: str, reason: SessionEnd,
                   settings: AuthSettings) -> bool:
    """End one sign-in; False if it had ended already (then nothing is emitted again)."""
    at = now()
    expire_by = at + timedelta(seconds=settings.access_token_ttl_s) + REVOCATION_MARGIN
    try:
        with db.transaction() as session:
            session.execute(update(RefreshToken)
                            .where(RefreshToken.family_id == session_id,
                                   RefreshToken.revoked_at.is_(None))
                            .values(revoked_at=at))
            if session.get(SessionRevocation, session_id) is not None:
                return False
            session.add(SessionRevocation(session_id=session_id, user_id=user_id,
                                          reason=reason.value, revoked_at=at,
                                          tokens_expire_by=expire_by))
            session.flush()
            outbox.emit(session, "SessionsRevoked", key=user_id, data={
                "user_id": user_id, "session_ids": [session_id], "reason": reason.value,
                "revoked_at": at.isoformat(), "tokens_expire_by": expire_by.isoformat()})
    except IntegrityError:  # a concurrent revocation of the same sign-in recorded it
        return False
    return True


def is_revoked(db: Database, session_id: str) -> bool:
    """What the user service's own verifier asks: read from the table, never stale."""
    with db.read() as session:
        return session.get(SessionRevocation, session_id) is not None


def revocations_since(db: Database, cursor: str | None) -> dict:
    """The deny-list for verifiers: sign-ins whose tokens may still be valid, revoked at
    or after ``cursor`` (all of them without one), and the cursor to ask with next."""
    at = now()
    query = select(SessionRevocation).where(SessionRevocation.tokens_expire_by > at)
    if cursor is not None:
        query = query.where(SessionRevocation.revoked_at >= _parse_cursor(cursor))
    with db.read() as session:
        rows = list(session.scalars(query.order_by(SessionRevocation.revoked_at)))
    return {
        "revoked": [{"session_id": row.session_id, "revoked_at": row.revoked_at.isoformat(),
                     "expires_at": row.tokens_expire_by.isoformat()} for row in rows],
        "cursor": (at - CURSOR_OVERLAP).isoformat(),
    }


def _parse_cursor(cursor: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(cursor)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput("since is not a cursor this endpoint gave")
    return parsed
