"""`publicdata audit ...`: verify the chain, sign and export checkpoints, purge past retention.

Wired into the main CLI as `app.add_typer(audit_app, name="audit")`. Commands act as the system
principal, like the rest of the CLI, and each is audited like its API counterpart.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from publicdata.audit import signing, store
from publicdata.cli_support import cli_error, open_platform
from publicdata.errors import AppError
from publicdata.identity.permissions import SYSTEM

audit_app = typer.Typer(
    help="Audit log: verify the hash chain, sign and export checkpoints, purge past retention.",
    no_args_is_help=True,
)
console = Console()


@audit_app.command("verify")
def verify_command(
    window: Annotated[int, typer.Option(min=100, help="entries read per window")] = store.VERIFY_WINDOW,
) -> None:
    """Verify the whole chain; exit 1 and name the first bad entry of each kind if it was tampered with."""
    platform = open_platform()
    try:
        report = store.verify_audit_log(platform, actor=SYSTEM, window=window)
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    anchor = "genesis" if report.anchor.seq == 0 else f"purge checkpoint at seq {report.anchor.seq}"
    head = "—" if report.head is None else f"seq {report.head.seq} ({report.head.hash[:16]}…)"
    console.print(
        f"checked {report.checked} entries from {anchor}; head {head}; checkpoints {report.checkpoints}"
    )
    if report.ok:
        console.print("[bold green]OK[/]: the audit chain verifies")
        return
    counts: dict[str, int] = {}
    for p in report.problems:
        counts[p.kind.value] = counts.get(p.kind.value, 0) + 1
    table = Table(title="audit chain problems (first bad entry per kind)")
    for column in ("kind", "first seq", "row id", "count", "message"):
        table.add_column(column)
    for kind, p in report.first_by_kind().items():
        row_id = "—" if p.row_id is None else str(p.row_id)
        table.add_row(kind, str(p.seq), row_id, str(counts[kind]), p.message)
    console.print(table)
    console.print(f"[bold red]TAMPERED[/]: {len(report.problems)} problem(s)")
    raise typer.Exit(code=1)


@audit_app.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the current head of the chain (after verifying it) and print the checkpoint JSON."""
    platform = open_platform()
    try:
        cp = store.create_checkpoint(platform, actor=SYSTEM)
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    typer.echo(signing.checkpoint_to_json(cp))


@audit_app.command("export-checkpoints")
def export_checkpoints_command(
    file: Annotated[Path, typer.Argument(help="JSON file to write (public key and every checkpoint)")],
) -> None:
    """Write every checkpoint and the public key, to keep outside the platform."""
    platform = open_platform()
    try:
        exported = store.export_checkpoints(platform, actor=SYSTEM)
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    file.write_text(json.dumps(exported, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {len(exported['checkpoints'])} checkpoint(s) to {file}")


def _parse_date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter("use an ISO date, e.g. 2023-01-01 or 2023-01-01T00:00:00+08:00") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@audit_app.command("purge")
def purge_command(
    before: Annotated[str, typer.Option("--before", help="remove entries older than this (ISO date, UTC)")],
) -> None:
    """Remove the oldest entries past retention (records ≥ 3 years, network logs ≥ 6 months)."""
    cutoff = _parse_date(before)
    platform = open_platform()
    try:
        result = store.purge_audit_log(platform, actor=SYSTEM, before=cutoff)
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    if result.purged == 0:
        console.print("nothing to purge")
    else:
        console.print(f"[green]purged {result.purged} entries[/] through seq {result.through_seq}")
    if result.held_by is not None:
        h = result.held_by
        reason = f"kept until {h['keep_until']}" if h["keep_until"] else "not older than the cutoff"
        console.print(f"stopped at seq {h['seq']} ({h['action']}, {h['occurred_at']}): {reason}")
    typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
