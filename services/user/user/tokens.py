"""What a sign-in is given: an access token and a refresh token of its family."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service_runtime.auth import ADMIN, CUSTOMER, AuthSettings, SigningKey
from service_runtime.ids import utcnow as now
from user.domain import REFRESH_TOKEN_LIFETIME
from user.models import RefreshToken, User


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def issue_pair(session: Session, key: SigningKey, user: User, family_id: str,
               settings: AuthSettings) -> TokenPair:
    """A new refresh token of the family and an access token naming it as its sign-in."""
    refresh = secrets.token_urlsafe(32)
    at = now()
    session.add(RefreshToken(token_hash=token_hash(refresh), family_id=family_id,
                             user_id=user.id, expires_at=at + REFRESH_TOKEN_LIFETIME,
                             created_at=at))
    access = key.issue(settings, user.id, roles(user), session_id=family_id)
    return TokenPair(access, refresh, settings.access_token_ttl_s)


def roles(user: User) -> list[str]:
    return [CUSTOMER, ADMIN] if user.role == ADMIN else [CUSTOMER]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
