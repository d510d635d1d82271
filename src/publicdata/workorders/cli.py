"""`publicdata tick`: run the timed duties once (the lead wires `tick_command` into the main CLI)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from publicdata.cli_support import open_platform

console = Console()


def tick_command(
    now: Annotated[
        str | None, typer.Option(help="Pretend it is this moment (ISO 8601 with offset), for drills.")
    ] = None,
) -> None:
    """Mark overdue work orders, notify and escalate, run the workflows' timed jobs, send mail."""
    from publicdata.workorders.scheduled import tick

    moment = None
    if now is not None:
        moment = datetime.fromisoformat(now)
        if moment.tzinfo is None:
            raise typer.BadParameter("give a time zone offset, e.g. 2026-12-01T09:00:00+08:00")
    platform = open_platform()
    try:
        counts = tick(platform, moment)
    finally:
        platform.close()
    console.print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing to do")


tick_app = typer.Typer(help="Timed duties.", no_args_is_help=False, invoke_without_command=True)
tick_app.callback(invoke_without_command=True)(tick_command)
