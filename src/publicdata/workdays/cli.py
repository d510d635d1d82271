"""`publicdata calendar load FILE` / `publicdata calendar show` (the lead wires `calendar_app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from publicdata.cli_support import cli_error, open_platform
from publicdata.errors import AppError
from publicdata.identity.permissions import SYSTEM

calendar_app = typer.Typer(help="Working-day calendar: load a year's holiday schedule, show coverage.")
console = Console()


@calendar_app.command("load")
def load(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSON or CSV (docs/calendar-file.md).")
    ],
) -> None:
    """Load one year's holiday schedule (overrides chinesecalendar; recomputes provisional deadlines)."""
    from publicdata.workdays.service import load_calendar_year

    platform = open_platform()
    try:
        result = load_calendar_year(
            platform, actor=SYSTEM, text=file.read_text(encoding="utf-8-sig"), filename=file.name
        )
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    verb = "replaced" if result.replaced else "loaded"
    console.print(
        f"[green]{verb}[/] {result.year.year}: {result.holidays} holidays, {result.makeup_workdays} make-up "
        f"workdays ({result.year.source}); {result.recomputed_orders} open deadlines recomputed"
    )


@calendar_app.command("show")
def show(
    first_year: Annotated[int | None, typer.Option(help="First year (default: last year).")] = None,
    last_year: Annotated[int | None, typer.Option(help="Last year (default: two years ahead).")] = None,
) -> None:
    """Where each year's working days come from: loaded / library / provisional (Mon–Fri)."""
    from publicdata.workdays.service import calendar_coverage

    platform = open_platform()
    try:
        years = calendar_coverage(platform, actor=SYSTEM, first_year=first_year, last_year=last_year)
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    table = Table("year", "coverage", "source", "loaded at")
    for y in years:
        colour = {"loaded": "green", "library": "cyan", "provisional": "yellow"}[y.coverage]
        table.add_row(
            str(y.year),
            f"[{colour}]{y.coverage}[/]",
            y.source or (y.warning_en or ""),
            y.loaded_at.isoformat(timespec="seconds") if y.loaded_at else "",
        )
    console.print(table)
