"""`publicdata access ...`: conditional-access commands (the credit list import, ACC-8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from publicdata.config import get_settings
from publicdata.errors import AppError
from publicdata.identity.permissions import SYSTEM
from publicdata.platform import Platform

access_app = typer.Typer(help="Conditional access: applications, credit list, grants.", no_args_is_help=True)


@access_app.command("credit-import")
def credit_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: identifier, identifier_kind (credit_code|resident_id), name, list_kind, "
            "source, listed_on"
        ),
    ],
) -> None:
    """Import entities on dishonest-debtor / abnormal-operation lists (all rows or none; audited)."""
    from publicdata.access import credit

    if not file.is_file():
        typer.echo(f"no such file: {file}", err=True)
        raise typer.Exit(code=2)
    platform = Platform.from_settings(get_settings())
    try:
        counts = credit.import_csv(platform, actor=SYSTEM, content=file.read_bytes())
    except AppError as exc:
        typer.echo(f"{exc.code}: {exc.message_en} / {exc.message_zh} {exc.details or ''}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        platform.close()
    typer.echo(f"added={counts['added']} updated={counts['updated']}")


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the `publicdata` command."""
    app.add_typer(access_app, name="access")
