"""The demo history's marker (``analytics.demo_history_job``), on the service's ``Base``
(its migration: analytics_0006_demo_history)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from analytics.models import Base
from service_runtime.types import UTCDateTime


class DemoHistory(Base):
    """A demo history made in this database: written in the transaction that made it, so
    it exists exactly when the history does, and no second one is ever made."""

    __tablename__ = "demo_histories"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)
    shoppers: Mapped[int] = mapped_column(Integer)
    orders: Mapped[int] = mapped_column(Integer)
    behaviour_events: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
