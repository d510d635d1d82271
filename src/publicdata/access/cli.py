"""Command-line commands of this domain (to be filled); `register` adds them to the main app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the `publicdata` command."""
