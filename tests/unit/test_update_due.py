"""CAT-8: the next update is due one declared period after the last data update."""

from __future__ import annotations

from datetime import date

import pytest

from publicdata.catalog.model import UpdateFrequency as F
from publicdata.catalog.model import next_update_due, update_overdue


@pytest.mark.req("CAT-8")
@pytest.mark.parametrize(
    ("frequency", "last", "due"),
    [
        (F.REALTIME, date(2026, 3, 1), date(2026, 3, 2)),
        (F.DAILY, date(2026, 12, 31), date(2027, 1, 1)),
        (F.WEEKLY, date(2026, 3, 1), date(2026, 3, 8)),
        (F.MONTHLY, date(2026, 1, 31), date(2026, 2, 28)),  # clamped to the month's last day
        (F.MONTHLY, date(2026, 12, 15), date(2027, 1, 15)),
        (F.QUARTERLY, date(2026, 11, 30), date(2027, 2, 28)),
        (F.YEARLY, date(2024, 2, 29), date(2025, 2, 28)),
        (F.IRREGULAR, date(2026, 3, 1), None),
        (F.STATIC, date(2026, 3, 1), None),
    ],
)
def test_next_update_due(frequency: F, last: date, due: date | None) -> None:
    assert next_update_due(frequency, last) == due


@pytest.mark.req("CAT-8")
def test_overdue_only_after_the_whole_due_date() -> None:
    assert not update_overdue(date(2026, 3, 2), date(2026, 3, 2))
    assert update_overdue(date(2026, 3, 2), date(2026, 3, 3))
    assert not update_overdue(None, date(2030, 1, 1))
