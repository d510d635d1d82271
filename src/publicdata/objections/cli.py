"""`publicdata objections ...`: list open objections with their deadlines, and export a complaint's leak
trace (the same use-cases as the API, run as the system actor; the trace is audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from publicdata.cli_support import cli_error, open_platform
from publicdata.errors import AppError
from publicdata.identity.permissions import SYSTEM

objections_app = typer.Typer(help="Objections (QUA-3) and rights complaints (QUA-4).", no_args_is_help=True)


@objections_app.command("list")
def list_command(
    all_states: Annotated[bool, typer.Option("--all", help="Include decided objections.")] = False,
) -> None:
    """Objections with their marking and decision deadlines (working days), soonest first."""
    from publicdata.objections import service

    platform = open_platform()
    try:
        _, items = service.list_objections(
            platform, actor=SYSTEM, scope="all", open_only=not all_states, limit=1000
        )
    finally:
        platform.close()
    for o in items:
        clock = o.decision_clock
        due = "—" if clock is None else f"{clock.due_date}{' OVERDUE' if clock.overdue else ''}"
        mark = "marked" if o.marked_at else f"mark by {o.mark_due_date}{' LATE' if o.mark_late else ''}"
        typer.echo(f"{o.id}  {o.dataset_code}  {o.kind.value}  {o.status.value}  {mark}  decide by {due}")
    if not items:
        typer.echo("no objections")


@objections_app.command("leak-trace")
def leak_trace_command(
    complaint_id: Annotated[str, typer.Argument(help="The rights complaint's id.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write CSV here (default: stdout).")
    ] = None,
) -> None:
    """Every user who downloaded or called the complained-about data since publication (audit log)."""
    from publicdata.objections import leak_trace

    platform = open_platform()
    try:
        trace = leak_trace.leak_trace(platform, actor=SYSTEM, complaint_id=complaint_id)
    except AppError as exc:
        raise cli_error(exc) from None
    finally:
        platform.close()
    text = leak_trace.leak_trace_csv(trace)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8-sig")
        typer.echo(
            f"{trace.users} users, {trace.anonymous_callers} anonymous groups, {trace.accesses} accesses"
        )


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the `publicdata` command."""
    app.add_typer(objections_app, name="objections")
