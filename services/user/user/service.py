"""Account use cases: one function per command, one transaction each."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service_runtime.auth import ADMIN, CUSTOMER, AuthSettings, SigningKey, jwks
from service_runtime.db import Database
from service_runtime.errors import NotFound
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox
from user.domain import (
    CODE_LIFETIME,
    CODE_RESEND_INTERVAL,
    MAX_ADDRESSES,
    MAX_CODE_ATTEMPTS,
    MAX_CODES_PER_HOUR,
    REFRESH_TOKEN_LIFETIME,
    AccountExists,
    AccountLocked,
    InvalidCode,
    InvalidCredentials,
    TooManyAddresses,
    TooManyCodes,
    after_failed_login,
    code_message,
    is_locked,
)
from user.models import (
    Address,
    Notification,
    RefreshToken,
    SigningKeyRow,
    User,
    VerificationCode,
)

outbox = Outbox("user")
hasher = PasswordHasher()
# Verified against when the login names no account, so both cases cost the same time.
_DUMMY_HASH = hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


# -- signing keys ---------------------------------------------------------------------

_keys_lock = threading.Lock()
_keys: dict[str, list[SigningKey]] = {}


def signing_keys(db: Database) -> list[SigningKey]:
    """The service's signing keys, newest first; the first use creates one."""
    with _keys_lock:
        if db.url not in _keys:
            _keys[db.url] = _load_or_create_keys(db)
        return _keys[db.url]


def _load_or_create_keys(db: Database) -> list[SigningKey]:
    with db.read() as session:
        rows = list(session.scalars(select(SigningKeyRow).order_by(
            SigningKeyRow.created_at.desc())))
    if not rows:
        key = SigningKey.generate()
        try:
            with db.transaction() as session:
                session.add(SigningKeyRow(kid=key.kid, private_pem=key.private_pem(),
                                          created_at=now()))
        except IntegrityError:
            pass
        # Another process may have created one at the same moment: read back what is stored.
        with db.read() as session:
            rows = list(session.scalars(select(SigningKeyRow).order_by(
                SigningKeyRow.created_at.desc())))
    return [SigningKey.from_pem(row.private_pem, row.kid) for row in rows]


def public_jwks(db: Database) -> dict:
    return jwks(*signing_keys(db))


# -- one-time codes -------------------------------------------------------------------

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


# -- registration and login -----------------------------------------------------------

def register(db: Database, email: str | None, phone: str | None, password: str,
             nickname: str | None, role: str = CUSTOMER) -> User:
    password_hash = hasher.hash(password)
    at = now()
    user = User(id=time_ordered_id("usr"), email=email, phone=phone, password_hash=password_hash,
                nickname=nickname or _default_nickname(email, phone), role=role,
                failed_logins=0, locked_until=None, created_at=at)
    try:
        with db.transaction() as session:
            same = [c for c in (User.email == email if email else None,
                                User.phone == phone if phone else None) if c is not None]
            taken = session.scalar(select(func.count()).select_from(User).where(or_(*same)))
            if taken:
                raise AccountExists()
            session.add(user)
            session.flush()
            outbox.emit(session, "UserRegistered", key=user.id, data={
                "user_id": user.id, "email": email, "phone": phone,
                "nickname": user.nickname, "registered_at": at.isoformat()})
    except IntegrityError:
        raise AccountExists() from None
    return user


def _default_nickname(email: str | None, phone: str | None) -> str:
    if email:
        return email.split("@", 1)[0][:40]
    return f"用户{(phone or '')[-4:]}"


def login_with_code(db: Database, phone: str, code: str, settings: AuthSettings) -> TokenPair:
    """Phone + one-time code: the code is the proof, so it is used up first."""
    use_code(db, phone, "login", code)
    with db.read() as session:
        user = session.scalars(select(User).where(User.phone == phone)).first()
    if user is None:
        raise InvalidCredentials()
    key = signing_keys(db)[0]
    with db.transaction() as session:
        return issue_pair(session, key, user, secrets.token_hex(16), settings)


def login(db: Database, login_name: str, password: str, settings: AuthSettings) -> TokenPair:
    """Check the password; five failures in a row lock the account for 15 minutes."""
    with db.read() as session:
        user = session.scalars(select(User).where(
            or_(User.email == login_name.lower(), User.phone == login_name))).first()
    if user is None:
        _verify(_DUMMY_HASH, password)
        raise InvalidCredentials()
    at = now()
    if is_locked(user.locked_until, at):
        raise AccountLocked(f"try again after {user.locked_until.isoformat()}",
                            locked_until=user.locked_until.isoformat())
    if not _verify(user.password_hash, password):
        with db.transaction() as session:
            # Counted in the database, so concurrent failures are all counted.
            failed = session.scalar(
                update(User).where(User.id == user.id)
                .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins))
            reset, locked_until = after_failed_login(failed - 1, at)
            if locked_until is not None:
                session.execute(update(User).where(User.id == user.id)
                                .values(failed_logins=reset, locked_until=locked_until))
        raise InvalidCredentials()
    key = signing_keys(db)[0]  # before the transaction: the first call may write a key
    with db.transaction() as session:
        session.execute(update(User).where(User.id == user.id)
                        .values(failed_logins=0, locked_until=None))
        return issue_pair(session, key, user, secrets.token_hex(16), settings)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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


def ensure_account(db: Database, email: str, password: str,
                   role: str = CUSTOMER) -> tuple[User, bool]:
    """An account from configuration (the admin, demo users): created once, never twice."""
    email = email.lower()
    with db.read() as session:
        existing = session.scalars(select(User).where(User.email == email)).first()
    if existing is not None:
        return existing, False
    try:
        return register(db, email, None, password, email.split("@", 1)[0], role=role), True
    except AccountExists:  # another process created it meanwhile
        with db.read() as session:
            return session.scalars(select(User).where(User.email == email)).one(), False


def ensure_admin(db: Database, email: str, password: str) -> tuple[User, bool]:
    return ensure_account(db, email, password, role=ADMIN)


# -- profile and addresses ------------------------------------------------------------

def get_user(db: Database, user_id: str) -> User:
    with db.read() as session:
        user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def update_profile(db: Database, user_id: str, changes: dict) -> User:
    with db.transaction() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("no such user")
        for field in ("nickname",):  # the only fields a user may change here
            if field in changes:
                setattr(user, field, changes[field])
    return user


def list_addresses(db: Database, user_id: str) -> list[Address]:
    with db.read() as session:
        return list(session.scalars(select(Address).where(Address.user_id == user_id)
                                    .order_by(Address.is_default.desc(), Address.created_at)))


def get_address(db: Database, user_id: str, address_id: str) -> Address:
    """One of the caller's addresses (what checkout snapshots); another's is not found."""
    with db.read() as session:
        return _own_address(session, user_id, address_id)


def add_address(db: Database, user_id: str, fields: dict) -> Address:
    with db.transaction() as session:
        count = session.scalar(select(func.count()).select_from(Address)
                               .where(Address.user_id == user_id))
        if count >= MAX_ADDRESSES:
            raise TooManyAddresses()
        make_default = fields.pop("is_default", False) or count == 0
        if make_default:
            _clear_default(session, user_id)
        address = Address(id=time_ordered_id("addr"), user_id=user_id, is_default=make_default,
                          created_at=now(), **fields)
        session.add(address)
    return address


def ensure_address(db: Database, user_id: str, fields: dict) -> Address:
    """The user's default address, adding ``fields`` as one if the book is empty (demo data)."""
    return next(iter(list_addresses(db, user_id)), None) or add_address(db, user_id, dict(fields))


def update_address(db: Database, user_id: str, address_id: str, fields: dict) -> Address:
    with db.transaction() as session:
        address = _own_address(session, user_id, address_id)
        if fields.pop("is_default", False):
            _clear_default(session, user_id)
            address.is_default = True
        for name, value in fields.items():
            setattr(address, name, value)
    return address


def delete_address(db: Database, user_id: str, address_id: str) -> None:
    with db.transaction() as session:
        address = _own_address(session, user_id, address_id)
        was_default = address.is_default
        session.delete(address)
        session.flush()
        if was_default:
            newest = session.scalars(select(Address).where(Address.user_id == user_id)
                                     .order_by(Address.created_at.desc())).first()
            if newest is not None:
                newest.is_default = True


def _own_address(session: Session, user_id: str, address_id: str) -> Address:
    address = session.get(Address, address_id)
    if address is None or address.user_id != user_id:
        raise NotFound(f"no address {address_id}")
    return address


def _clear_default(session: Session, user_id: str) -> None:
    session.execute(update(Address).where(Address.user_id == user_id, Address.is_default)
                    .values(is_default=False))
