"""Accounts: registration, login (password or one-time code), the profile."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from event_contracts.vocabulary import SignInFailure
from service_runtime.auth import ADMIN, CUSTOMER, AuthSettings
from service_runtime.db import Database
from service_runtime.errors import NotFound
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from service_runtime.outbox import Outbox
from user.codes import use_code
from user.domain import (
    AccountExists,
    AccountLocked,
    InvalidCredentials,
    after_failed_login,
    is_locked,
)
from user.keys import signing_keys
from user.models import User
from user.tokens import TokenPair, issue_pair

outbox = Outbox("user")


hasher = PasswordHasher()
# Verified against when the login names no account, so both cases cost the same time.
_DUMMY_HASH = hasher.hash(secrets.token_hex(16))


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


def login(db: Database, login_name: str, password: str, settings: AuthSettings,
          client: str = "") -> TokenPair:
    """Check the password; five failures in a row lock the account for 15 minutes.

    Every refusal writes a ``SignInFailed`` (for the risk rules) naming the ``client``
    address, never the password nor the login as typed."""
    with db.read() as session:
        user = session.scalars(select(User).where(
            or_(User.email == login_name.lower(), User.phone == login_name))).first()
    if user is None:
        _verify(_DUMMY_HASH, password)
        with db.transaction() as session:
            _sign_in_failed(session, login_name, None, SignInFailure.UNKNOWN_ACCOUNT, client)
        raise InvalidCredentials()
    at = now()
    if is_locked(user.locked_until, at):
        with db.transaction() as session:
            _sign_in_failed(session, login_name, user.id, SignInFailure.ACCOUNT_LOCKED, client)
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
            _sign_in_failed(session, login_name, user.id, SignInFailure.WRONG_PASSWORD, client)
        raise InvalidCredentials()
    key = signing_keys(db)[0]  # before the transaction: the first call may write a key
    with db.transaction() as session:
        session.execute(update(User).where(User.id == user.id)
                        .values(failed_logins=0, locked_until=None))
        return issue_pair(session, key, user, secrets.token_hex(16), settings)


def sign_in_account(login_name: str) -> str:
    """The SHA-256 of a login as it is looked up: one account's attempts share it, and
    it names neither the account nor a password typed into the login field."""
    return hashlib.sha256(login_name.lower().encode()).hexdigest()


def _sign_in_failed(session: Session, login_name: str, user_id: str | None,
                    reason: SignInFailure, client: str) -> None:
    account = sign_in_account(login_name)
    outbox.emit(session, "SignInFailed", key=user_id or account, data={
        "account": account, "user_id": user_id, "reason": reason.value,
        "client_address": client[:64], "failed_at": now().isoformat()})


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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


def user_id_for_email(db: Database, email: str) -> str | None:
    with db.read() as session:
        return session.scalar(select(User.id).where(User.email == email.lower()))
