"""The `publicdata` command line (Typer + rich). Each command calls a service, as the API does."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from publicdata.access import cli as access_cli
from publicdata.audit.cli import audit_app
from publicdata.cli_support import cli_error, open_platform
from publicdata.config import get_settings
from publicdata.datastore.cli import ingest_command
from publicdata.errors import AppError
from publicdata.identity.model import OrgKind, Role
from publicdata.identity.permissions import SYSTEM
from publicdata.objections import cli as objections_cli
from publicdata.privacy import cli as privacy_cli
from publicdata.quality import cli as quality_cli
from publicdata.search.cli import search_app
from publicdata.workdays.cli import calendar_app
from publicdata.workorders.cli import tick_command

app = typer.Typer(
    help="publicdata — 公共数据开放平台 (public data platform) command line.", no_args_is_help=True
)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
org_app = typer.Typer(help="Manage organizations (providers, center, authority).", no_args_is_help=True)
dataset_app = typer.Typer(help="Manage datasets.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(org_app, name="org")
app.add_typer(dataset_app, name="dataset")
app.add_typer(audit_app, name="audit")
app.add_typer(calendar_app, name="calendar")
app.add_typer(search_app, name="search")
for _domain_cli in (privacy_cli, quality_cli, access_cli, objections_cli):
    _domain_cli.register(app)
app.command("tick", help="Run the timed duties once: overdue work orders, escalations, reminders, mail.")(
    tick_command
)

console = Console()


@app.command()
def init() -> None:
    """Create or upgrade the database to the latest schema."""
    from publicdata import migrate

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.resolved_database_url)
    settings.resolved_secret_key()
    console.print(f"[green]database ready[/] at {_safe_url(settings.resolved_database_url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def demo(
    admin_password: Annotated[
        str | None, typer.Option(help="Password for the demo accounts (default: printed demo password).")
    ] = None,
) -> None:
    """Load the deterministic demo catalog (Shanghai providers and datasets). Safe to run twice."""
    from publicdata.demo.load import DEMO_PASSWORD, load_demo

    platform = open_platform()
    try:
        report = load_demo(platform, password=admin_password or DEMO_PASSWORD, progress=console)
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    console.print(
        f"[green]demo ready[/]: {report.organizations} organizations, {report.datasets} datasets "
        f"({report.published} published), {report.users} demo accounts "
        f"(password: {admin_password or DEMO_PASSWORD})"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use a proxy in front for several).")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
) -> None:
    """Serve the portal and the API."""
    import uvicorn

    uvicorn.run(
        "publicdata.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


@app.command()
def start(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """init + demo + serve: one command for a first look."""
    init()
    demo(admin_password=None)
    serve(host=host, port=port, workers=1, reload=False)


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[Role, typer.Option(help="Role of the account.")],
    organization: Annotated[str | None, typer.Option(help="Organization code (for staff roles).")] = None,
    display_name: Annotated[str, typer.Option(help="Display name.")] = "",
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    password: Annotated[str | None, typer.Option(help="Password (asked for if omitted).")] = None,
) -> None:
    """Create a staff or admin account (the CLI acts as the system)."""
    from publicdata.identity.schemas import StaffIn
    from publicdata.identity.service import create_staff_user

    secret = password or getpass.getpass("password: ")
    platform = open_platform()
    try:
        user = create_staff_user(
            platform,
            actor=SYSTEM,
            data=StaffIn(
                username=username,
                password=secret,
                role=role,
                organization_code=organization,
                display_name=display_name,
                email=email,
            ),
        )
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    console.print(f"[green]created[/] {user.username} ({role.value}) id={user.id}")


@org_app.command("create")
def org_create(
    code: str,
    name: str,
    kind: Annotated[OrgKind, typer.Option(help="Kind of organization.")],
    parent: Annotated[str | None, typer.Option(help="Parent organization code.")] = None,
    short_name: Annotated[str, typer.Option(help="Short name, e.g. 市交通委.")] = "",
    name_en: Annotated[str, typer.Option(help="English name.")] = "",
    area_code: Annotated[str | None, typer.Option(help="NBS area code of a district.")] = None,
    credit_code: Annotated[str | None, typer.Option(help="Unified social credit code.")] = None,
) -> None:
    """Create an organization."""
    from publicdata.identity.schemas import OrganizationIn
    from publicdata.identity.service import create_organization

    platform = open_platform()
    try:
        org = create_organization(
            platform,
            actor=SYSTEM,
            data=OrganizationIn(
                code=code,
                name=name,
                kind=kind,
                parent_code=parent,
                short_name=short_name,
                name_en=name_en,
                area_code=area_code,
                credit_code=credit_code,
            ),
        )
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    console.print(f"[green]created[/] {org.code} {org.name} id={org.id}")


@org_app.command("list")
def org_list(kind: Annotated[OrgKind | None, typer.Option(help="Only this kind.")] = None) -> None:
    """List organizations."""
    from publicdata.identity.service import list_organizations

    platform = open_platform()
    try:
        total, orgs = list_organizations(platform, kind=kind, limit=1000)
    finally:
        platform.close()
    table = Table("code", "name", "kind", "datasets", title=f"{total} organizations")
    for org in orgs:
        table.add_row(org.code, org.name, org.kind.value, str(org.dataset_count or 0))
    console.print(table)


@dataset_app.command("publish")
def dataset_publish(
    ref: Annotated[str, typer.Argument(help="Dataset id or code.")],
    note: Annotated[str, typer.Option(help="Why it is published directly.")] = "published from the CLI",
) -> None:
    """Publish a dataset directly (administrators; normal publication goes through review)."""
    from publicdata.catalog.service import publish_dataset

    platform = open_platform()
    try:
        dataset = publish_dataset(platform, actor=SYSTEM, ref=ref, note=note)
    except AppError as exc:
        raise cli_error(exc) from exc
    finally:
        platform.close()
    console.print(f"[green]published[/] {dataset.code} {dataset.name}")


@dataset_app.command("list")
def dataset_list(
    q: Annotated[str | None, typer.Option(help="Search words.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 50,
) -> None:
    """List datasets (all states: the CLI acts as the system)."""
    from publicdata.catalog.service import list_datasets

    platform = open_platform()
    try:
        total, items = list_datasets(platform, actor=SYSTEM, q=q, limit=limit)
    finally:
        platform.close()
    table = Table("code", "name", "provider", "class", "state", title=f"{total} datasets")
    for d in items:
        table.add_row(d.code, d.name, d.provider.name, d.open_class.value, d.state.value)
    console.print(table)


if __name__ == "__main__":
    app()


app.command("tick", help="Run the timed duties once: overdue orders, escalations, reminders, mail.")(
    tick_command
)
app.command("ingest", help="Ingest a file (CSV/TSV/XLSX/JSON/JSONL/GeoJSON) as a new data version.")(
    ingest_command
)
