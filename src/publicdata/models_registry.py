"""Import every domain's tables so Base.metadata is complete (Alembic and tests use this)."""

from publicdata.access import grant_tables as access_grant_tables
from publicdata.access import tables as access_tables
from publicdata.audit import tables as audit_tables
from publicdata.catalog import tables as catalog_tables
from publicdata.datastore import tables as datastore_tables
from publicdata.db import Base
from publicdata.identity import tables as identity_tables
from publicdata.notifications import tables as notification_tables
from publicdata.objections import tables as objection_tables
from publicdata.privacy import tables as privacy_tables
from publicdata.quality import tables as quality_tables
from publicdata.search import tables as search_tables
from publicdata.web import tables as web_tables
from publicdata.workdays import tables as workday_tables
from publicdata.workorders import tables as workorder_tables

__all__ = [
    "Base",
    "access_grant_tables",
    "access_tables",
    "audit_tables",
    "catalog_tables",
    "datastore_tables",
    "identity_tables",
    "notification_tables",
    "objection_tables",
    "privacy_tables",
    "quality_tables",
    "search_tables",
    "web_tables",
    "workday_tables",
    "workorder_tables",
]
