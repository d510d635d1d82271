"""What every command-line module shares: the platform from settings and one way to report an AppError."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from publicdata.config import get_settings
from publicdata.errors import AppError
from publicdata.platform import Platform

err_console = Console(stderr=True)


def open_platform() -> Platform:
    return Platform.from_settings(get_settings())


def cli_error(exc: AppError) -> typer.Exit:
    """Print the error (code, English / Chinese message, details) on stderr; `raise` the returned exit."""
    err_console.print(f"[bold red]{exc.code}[/]: {exc.message_en} / {exc.message_zh}")
    if exc.details:
        err_console.print(json.dumps(exc.details, ensure_ascii=False, indent=2, default=str))
    return typer.Exit(code=2)
