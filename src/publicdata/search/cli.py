"""`publicdata search reindex`: rebuild the search index from the catalog.

The lead wires either the function (`app.command("reindex")(reindex_command)` on a `search` group)
or the ready-made group: `app.add_typer(search_app, name="search")`.
"""

from __future__ import annotations

import time

import typer
from rich.console import Console

from publicdata.cli_support import open_platform
from publicdata.identity.permissions import SYSTEM

search_app = typer.Typer(help="Full-text search index (jieba + SQLite FTS5 / PostgreSQL full text).")
console = Console()


def reindex_command() -> None:
    """Rebuild every dataset's search document (after an upgrade, a restore or a dictionary change)."""
    from publicdata.search.service import reindex_all

    platform = open_platform()
    started = time.perf_counter()
    try:
        result = reindex_all(platform, actor=SYSTEM)
    finally:
        platform.close()
    console.print(
        f"[green]reindexed[/] {result['documents']} datasets in {time.perf_counter() - started:.1f} s"
    )


search_app.command("reindex")(reindex_command)
