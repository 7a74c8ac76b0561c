"""Account rules, in plain Python."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from service_runtime.errors import Conflict, InvalidInput, Problem, Unauthorized

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
# A revoked sign-in stays on the deny-list this long after its last access token can
# have expired (clock skew between the user service and the verifiers, their leeway).
REVOCATION_MARGIN = timedelta(seconds=60)
MAX_ADDRESSES = 20
CODE_LIFETIME = timedelta(minutes=10)
CODE_RESEND_INTERVAL = timedelta(seconds=60)
MAX_CODES_PER_HOUR = 5
MAX_CODE_ATTEMPTS = 5


class InvalidCredentials(Unauthorized):
    slug, title = "invalid-credentials", "The login or the password is wrong"


class AccountLocked(Problem):
    status, slug, title = 423, "account-locked", "The account is locked for a while"


class AccountExists(Conflict):
    slug, title = "account-exists", "An account with this email or phone already exists"


class InvalidRefreshToken(Unauthorized):
    slug, title = "invalid-refresh-token", "The refresh token is not valid"


class SessionEnd(StrEnum):
    """Why a sign-in (a refresh-token family) was revoked."""

    LOGOUT = "logout"
    # A rotated refresh token came back: someone else holds a copy of it.
    REFRESH_TOKEN_REUSED = "refresh_token_reused"


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


class TooManyCodes(Problem):
    status, slug, title = 429, "too-many-codes", "Too many codes asked for this address"


class InvalidCode(InvalidInput):
    slug, title = "invalid-code", "The verification code is wrong, used or expired"


def code_message(code: str, purpose: str) -> str:
    what = {"register": "注册", "login": "登录", "reset": "重置密码"}[purpose]
    return (f"【Shop】您的{what}验证码是 {code}，10 分钟内有效，请勿告诉他人。"
            f" / Your Shop {purpose} code is {code}; it expires in 10 minutes.")
