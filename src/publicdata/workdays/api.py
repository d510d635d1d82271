"""Calendar API (administrators): load a year's holiday schedule file, show where each year's
working-day data comes from (loaded file, chinesecalendar library, or missing → provisional)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from publicdata.errors import ValidationFailed
from publicdata.http import PlatformDep, PrincipalDep
from publicdata.workdays import service
from publicdata.workdays.service import CalendarLoadOut, YearCoverageOut

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


@router.post("/years", operation_id="load_calendar_year", status_code=201)
def load_year(
    platform: PlatformDep, actor: PrincipalDep, file: Annotated[UploadFile, File()]
) -> CalendarLoadOut:
    raw = file.file.read(service.MAX_SCHEDULE_BYTES + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the file is not UTF-8 text", message_zh="文件须为UTF-8编码文本") from exc
    return service.load_calendar_year(platform, actor=actor, text=text, filename=file.filename or "schedule")


@router.get("/years", operation_id="list_calendar_years")
def coverage(
    platform: PlatformDep,
    actor: PrincipalDep,
    first_year: Annotated[int | None, Query(ge=1, le=9999)] = None,
    last_year: Annotated[int | None, Query(ge=1, le=9999)] = None,
) -> list[YearCoverageOut]:
    return service.calendar_coverage(platform, actor=actor, first_year=first_year, last_year=last_year)
