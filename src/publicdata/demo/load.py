"""Load the demo catalog through the same services the API uses. Idempotent: safe to run twice."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import select

from publicdata.catalog.resources import add_file_resource
from publicdata.catalog.schemas import ConditionIn, DataItemIn, DatasetIn, GradingIn
from publicdata.catalog.service import create_dataset, publish_dataset
from publicdata.catalog.tables import Dataset
from publicdata.datastore.ingest_service import ingest_demo_rows
from publicdata.demo.datasets import DATASETS
from publicdata.demo.organizations import ORGANIZATIONS
from publicdata.demo.specs import DatasetSpec, OrgSpec
from publicdata.demo.tables import generate_rows
from publicdata.identity.model import Role
from publicdata.identity.permissions import SYSTEM
from publicdata.identity.schemas import OrganizationIn, StaffIn
from publicdata.identity.service import create_organization, create_staff_user
from publicdata.identity.tables import Organization, User
from publicdata.platform import Platform

# A documented demo password: the demo is for a first look, never for production data.
DEMO_PASSWORD = "Demo-Passw0rd-2026"

# (username, role, organization code, display name)
DEMO_ACCOUNTS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("admin", Role.ADMIN, None, "平台管理员"),
    ("center", Role.CENTER, "SHDSJ", "市大数据中心审核员"),
    ("authority", Role.AUTHORITY, "SHJXW", "市经济信息化委监管员"),
    ("expert", Role.EXPERT, "SHZJWYH", "专家委员会委员"),
    ("jtw", Role.PROVIDER_STAFF, "SHJTW", "市交通委数据专员"),
    ("wjw", Role.PROVIDER_STAFF, "SHWJW", "市卫生健康委数据专员"),
    ("pudong", Role.PROVIDER_STAFF, "D310115", "浦东新区数据专员"),
)


class Progress(Protocol):
    def print(self, *objects: object) -> None: ...


@dataclass
class DemoReport:
    organizations: int = 0
    datasets: int = 0
    published: int = 0
    users: int = 0


def _org_input(spec: OrgSpec) -> OrganizationIn:
    return OrganizationIn(
        code=spec.code,
        name=spec.name,
        short_name=spec.short_name,
        name_en=spec.name_en,
        kind=spec.kind,
        parent_code=spec.parent_code,
        area_code=spec.area_code if spec.area_code != "310000" else None,
        credit_code=spec.credit_code,
    )


def dataset_input(spec: DatasetSpec) -> DatasetIn:
    c = spec.classification
    return DatasetIn(
        code=spec.code,
        provider=spec.provider_code,
        name=spec.name,
        name_en=spec.name_en,
        summary=spec.summary,
        domain=spec.domain,
        tags=list(spec.tags),
        keywords_en=list(spec.keywords_en),
        fields=[
            DataItemIn(
                name=f.name,
                label=f.label,
                label_en=f.label_en,
                type=f.type,
                unit=f.unit,
                description=f.description,
                catalog_source=f.catalog_source,
            )
            for f in spec.fields
        ],
        formats=list(spec.formats),
        update_frequency=spec.update_frequency,
        time_start=spec.time_start,
        time_end=spec.time_end,
        area_code=spec.area_code,
        relations=spec.relations,
        notes=spec.notes,
        open_class=c.open_class,
        grading=GradingIn(
            personal=c.grading.personal, organizational=c.grading.organizational, object=c.grading.object
        ),
        opening_basis=c.opening_basis,
        not_open_reason=c.not_open_reason,
        classification_note=c.note,
        conditions=[ConditionIn(kind=cond.kind, description=cond.description) for cond in c.conditions],
        application_materials=list(spec.application_materials),
    )


def rows_as_csv(spec: DatasetSpec) -> bytes:
    """The generated table as UTF-8 CSV with a header of the declared column names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(spec.field_names)
    for row in generate_rows(spec):
        writer.writerow([_cell(row[name]) for name in spec.field_names])
    return buffer.getvalue().encode("utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def load_demo(
    platform: Platform, *, password: str = DEMO_PASSWORD, progress: Progress | None = None
) -> DemoReport:
    report = DemoReport()
    with platform.db.reading() as session:
        existing_orgs = set(session.scalars(select(Organization.code)))
        existing_users = set(session.scalars(select(User.username)))
        existing_datasets = set(session.scalars(select(Dataset.code)))

    # Parents before children: repeat until every organization whose parent exists is created.
    pending = [o for o in ORGANIZATIONS if o.code not in existing_orgs]
    while pending:
        ready = [o for o in pending if o.parent_code is None or o.parent_code in existing_orgs]
        if not ready:
            raise ValueError(
                "demo organizations refer to unknown parents: " + ", ".join(o.code for o in pending)
            )
        for spec in ready:
            create_organization(platform, actor=SYSTEM, data=_org_input(spec))
            existing_orgs.add(spec.code)
            report.organizations += 1
        pending = [o for o in pending if o.code not in existing_orgs]

    for username, role, org_code, display in DEMO_ACCOUNTS:
        if username in existing_users:
            continue
        create_staff_user(
            platform,
            actor=SYSTEM,
            data=StaffIn(
                username=username,
                password=password,
                role=role,
                organization_code=org_code,
                display_name=display,
            ),
        )
        report.users += 1

    for index, dataset_spec in enumerate(DATASETS, start=1):
        if dataset_spec.code in existing_datasets:
            continue
        create_dataset(platform, actor=SYSTEM, data=dataset_input(dataset_spec))
        if dataset_spec.row_count:
            csv_bytes = rows_as_csv(dataset_spec)
            add_file_resource(
                platform,
                actor=SYSTEM,
                ref=dataset_spec.code,
                name=f"{dataset_spec.name}.csv",
                filename=f"{dataset_spec.code}.csv",
                stream=io.BytesIO(csv_bytes),
                description="示例数据（演示用生成数据）",
            )
            # The same rows as the dataset's first data version (records API, SQL, downloads).
            ingest_demo_rows(platform, ref=dataset_spec.code, csv_bytes=csv_bytes)
        if dataset_spec.published:
            publish_dataset(platform, actor=SYSTEM, ref=dataset_spec.code, note="demo catalog")
            report.published += 1
        report.datasets += 1
        if progress is not None and index % 10 == 0:
            progress.print(f"  {index}/{len(DATASETS)} datasets")
    return report
