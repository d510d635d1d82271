"""`publicdata scan FILE`: the personal-data scan of a local file, printed as JSON (no database needed).

Examples are masked; the exit code is 1 when a column would block publication, 0 otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from publicdata.errors import AppError


def scan_command(
    file: Annotated[Path, typer.Argument(help="CSV, TSV, XLSX, JSON, JSON Lines or GeoJSON file.")],
    encoding: Annotated[
        str | None, typer.Option(help="utf-8, utf-8-sig, gbk or gb18030 (default: detect).")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="csv, tsv, xlsx, json, jsonl or geojson.")
    ] = None,
) -> None:
    """Scan FILE for personal data (resident IDs, mobiles, cards, …) and print a JSON report."""
    from publicdata.privacy.scan import scan_file

    if not file.is_file():
        typer.echo(f"no such file: {file}", err=True)
        raise typer.Exit(code=2)
    try:
        report = scan_file(file, encoding=encoding, fmt=format)
    except AppError as exc:
        typer.echo(f"{exc.code}: {exc.message_en} / {exc.message_zh}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    if report["blocking"]:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the `publicdata` command."""
    app.command("scan", help="Scan a data file for personal data; prints a JSON report.")(scan_command)
