"""`publicdata ingest DATASET FILE`: ingest a local file as a new data version, with a progress bar.

The lead wires it with `app.command("ingest", help=...)(ingest_command)`; `python -m
publicdata.datastore.cli DATASET FILE` runs the same command on its own (the kill test uses it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from publicdata.cli_support import cli_error, err_console, open_platform
from publicdata.datastore import ingest_service, jobs
from publicdata.errors import AppError
from publicdata.identity.permissions import SYSTEM

console = Console()


def ingest_command(
    dataset: Annotated[str, typer.Argument(help="Dataset code or id.")],
    file: Annotated[Path, typer.Argument(help="CSV, TSV, XLSX, JSON, JSON Lines or GeoJSON file.")],
    encoding: Annotated[
        str | None, typer.Option(help="utf-8, utf-8-sig, gbk or gb18030 (default: detect).")
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name (default: the first sheet).")] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="csv, tsv, xlsx, json, jsonl or geojson.")
    ] = None,
) -> None:
    """Ingest FILE into DATASET as a new version (runs now, in this process)."""
    platform = open_platform()
    try:
        recovered = jobs.recover_jobs(platform)
        if recovered["requeued"]:
            console.print(f"re-queued {recovered['requeued']} interrupted job(s)")
        job_id = ingest_service.queue_file(
            platform, actor=SYSTEM, ref=dataset, path=file, encoding=encoding, sheet=sheet, fmt=format
        )
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task("starting", total=100)

            def listener(percent: int, stage: str) -> None:
                progress.update(task, completed=percent, description=stage)

            job = jobs.run_until_done(platform, job_id, actor=SYSTEM, listener=listener)
            progress.update(task, completed=100 if job.state == "succeeded" else job.progress)
        if job.state != "succeeded":
            error = job.error or {}
            err_console.print(
                f"[bold red]{error.get('code')}[/]: {error.get('message_en')} / {error.get('message_zh')}"
            )
            if error.get("details"):
                err_console.print(json.dumps(error["details"], ensure_ascii=False, indent=2, default=str))
            raise typer.Exit(code=2)
        console.print(f"[green]version {job.version}[/] of {dataset} is current (job {job.id})")
    except AppError as exc:
        raise cli_error(exc) from None
    finally:
        platform.close()


if __name__ == "__main__":
    typer.run(ingest_command)
