"""`publicdata quality FILE`: the quality report of a local file as JSON (QUA-1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from publicdata.config import get_settings
from publicdata.errors import AppError
from publicdata.quality.model import parse_declared
from publicdata.quality.service import check_file


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the `publicdata` command."""

    @app.command("quality")
    def quality(
        file: Annotated[
            Path, typer.Argument(exists=True, dir_okay=False, help="CSV, TSV, JSON or XLSX file")
        ],
        key: Annotated[
            list[str] | None, typer.Option("--key", help="key column (repeat for a composite key)")
        ] = None,
        declared: Annotated[
            list[str] | None, typer.Option("--declared", help="declared type: column=integer|decimal|date|…")
        ] = None,
        constraints: Annotated[
            str | None, typer.Option("--constraints", help='JSON {"col": {"min": 0, "max": 9}}')
        ] = None,
    ) -> None:
        """Print the quality report of FILE (read like an upload; GBK and other encodings work)."""
        try:
            types = parse_declared(declared or [])
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--declared") from exc
        try:
            report = check_file(
                get_settings(),
                file,
                key_columns=key or None,
                declared=types,
                constraints=json.loads(constraints) if constraints else None,
            )
        except AppError as exc:
            typer.echo(f"{exc.code}: {exc.message_en} / {exc.message_zh}", err=True)
            if exc.details:
                typer.echo(json.dumps(exc.details, ensure_ascii=False, default=str), err=True)
            raise typer.Exit(code=2) from exc
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
