"""Tags the big-data platform computed and sent back (``analytics.exports.import_tags``),
beside the service's own tables (its migration: analytics_0007_exports)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from analytics.models import Base
from service_runtime.types import UTCDateTime


class ImportedProfileTag(Base):
    """One tag of a member as the last imported file said (a file replaces a member's)."""

    __tablename__ = "imported_profile_tags"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))  # the file's name, for people
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
