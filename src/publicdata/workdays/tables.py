"""Loaded holiday schedules: one row per year, overriding the chinesecalendar library for that year."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base, utcnow


class CalendarYear(Base):
    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(200))
    # The schedule as canonical JSON (dump_schedule_json): parse_schedule reads it back equal.
    schedule_json: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    holiday_count: Mapped[int] = mapped_column(Integer)
    makeup_count: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str | None] = mapped_column(String(32))
