"""A user's address book: at most a few addresses, exactly one the default."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from service_runtime.db import Database
from service_runtime.errors import NotFound
from service_runtime.ids import time_ordered_id
from service_runtime.ids import utcnow as now
from user.domain import MAX_ADDRESSES, TooManyAddresses
from user.models import Address


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
