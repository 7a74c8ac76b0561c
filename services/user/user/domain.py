"""Account rules, in plain Python."""

from __future__ import annotations

from datetime import datetime, timedelta

from service_runtime.errors import Conflict, InvalidInput, Problem, Unauthorized

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
MAX_ADDRESSES = 20


class InvalidCredentials(Unauthorized):
    slug, title = "invalid-credentials", "The login or the password is wrong"


class AccountLocked(Problem):
    status, slug, title = 423, "account-locked", "The account is locked for a while"


class AccountExists(Conflict):
    slug, title = "account-exists", "An account with this email or phone already exists"


class InvalidRefreshToken(Unauthorized):
    slug, title = "invalid-refresh-token", "The refresh token is not valid"


class TooManyAddresses(InvalidInput):
    slug, title = "too-many-addresses", f"At most {MAX_ADDRESSES} addresses"


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failed_login(failed_logins: int, now: datetime) -> tuple[int, datetime | None]:
    """The counter and lock after one more failure: the 5th failure locks and resets."""
    failed = failed_logins + 1
    if failed >= MAX_FAILED_LOGINS:
        return 0, now + LOCK_DURATION
    return failed, None
