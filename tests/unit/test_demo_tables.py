"""Demo sample rows: every open demo dataset gets rows shaped like its specification, and repeatable."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from types import FrameType

import pytest

from publicdata.catalog.model import FieldType
from publicdata.demo.datasets import DATASETS
from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables import generate_rows

WITH_ROWS = [spec for spec in DATASETS if spec.row_count > 0]


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging when a generator loops (the largest dataset takes about a second)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"row generation took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _rows(spec: DatasetSpec) -> list[dict[str, object]]:
    with _deadline(30):
        return list(generate_rows(spec))


def _type_ok(kind: FieldType, value: object) -> bool:
    if value is None:  # an empty cell is allowed in any column
        return True
    if isinstance(value, bool):
        return kind is FieldType.BOOLEAN
    if kind is FieldType.INTEGER:
        return isinstance(value, int)
    if kind is FieldType.DECIMAL:
        return isinstance(value, int | float)
    if kind is FieldType.DATE:
        return isinstance(value, date) and not isinstance(value, datetime)
    if kind is FieldType.DATETIME:
        return isinstance(value, datetime)
    return isinstance(value, str)  # TEXT and GEOMETRY (well-known text)


@pytest.mark.req("CAT-2")
@pytest.mark.parametrize("spec", WITH_ROWS, ids=lambda spec: spec.code)
def test_rows_match_the_specification(spec: DatasetSpec) -> None:
    rows = _rows(spec)
    assert len(rows) == spec.row_count
    # The generic fallback writes the label and a running number ("名称0001"); real generators never do.
    fallback = {item.name: re.compile(re.escape(item.label) + r"\d{4}") for item in spec.fields}
    for index, row in enumerate(rows):
        assert tuple(row) == spec.field_names, f"row {index}"
        for item in spec.fields:
            value = row[item.name]
            assert _type_ok(item.type, value), f"row {index} {item.name}={value!r} is not {item.type}"
            if isinstance(value, str):
                assert not fallback[item.name].fullmatch(value), f"row {index} {item.name}={value!r}"


@pytest.mark.req("CAT-2")
@pytest.mark.parametrize("spec", WITH_ROWS, ids=lambda spec: spec.code)
def test_rows_are_the_same_on_every_run(spec: DatasetSpec) -> None:
    assert _rows(spec) == _rows(spec)


@pytest.mark.req("CAT-2")
def test_not_open_datasets_have_no_rows() -> None:
    for spec in DATASETS:
        if spec.row_count <= 0:
            assert _rows(spec) == []
