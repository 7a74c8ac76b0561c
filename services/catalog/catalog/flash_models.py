"""The catalog's flash-sale holds (migration catalog_0004_flash_holds)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.models import Base
from service_runtime.types import UTCDateTime


class FlashHoldSession(Base):
    """A flash session as the catalog saw it: held (its stock set apart) or ended. The
    row makes both events once-only, in either order."""

    __tablename__ = "flash_hold_sessions"

    session_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))  # HoldStatus
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FlashHold(Base):
    """Units of a SKU set apart for a session: counted in ``Sku.reserved`` from the start;
    ``left`` of them not yet in a flash order."""

    __tablename__ = "flash_holds"
    __table_args__ = (CheckConstraint("units_left >= 0 AND units_left <= held",
                                      name="ck_flash_holds_left"),)

    session_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    held: Mapped[int] = mapped_column(Integer)
    units_left: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # HoldStatus: live | closed


class FlashOrderTake(Base):
    """A flash order's line that took its units from a hold (so a release gives them back
    to it while it is live)."""

    __tablename__ = "flash_order_takes"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(40))
