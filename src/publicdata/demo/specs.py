"""Plain specifications of the demo organizations and datasets (no database, no web)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from publicdata.catalog.model import (
    Classification,
    DataFormat,
    DataItem,
    Domain,
    OpenListEntry,
    UpdateFrequency,
)
from publicdata.identity.model import OrgKind


@dataclass(frozen=True)
class OrgSpec:
    code: str  # stable short code, ASCII upper, e.g. "SHJTW" (市交通委), "D310115" (浦东新区)
    name: str  # full Chinese name, e.g. "上海市交通委员会"
    short_name: str  # e.g. "市交通委"
    name_en: str  # e.g. "Shanghai Municipal Transportation Commission"
    kind: OrgKind
    parent_code: str | None = None
    area_code: str | None = None  # NBS county code for districts ("310115"), "310000" for city-wide
    credit_code: str | None = None  # optional; if given it passes check_credit_code


@dataclass(frozen=True)
class DatasetSpec:
    code: str  # catalog identifier, also its resource-catalog reference (CAT-3), e.g. "SH-JTW-0001"
    provider_code: str  # OrgSpec.code
    name: str  # concise; shows key fields, time range, area (CAT-2)
    name_en: str
    summary: str  # 40–200 characters: what it contains and how it is produced
    domain: Domain
    tags: tuple[str, ...]
    fields: tuple[DataItem, ...]
    formats: tuple[DataFormat, ...]
    update_frequency: UpdateFrequency
    time_start: date | None
    time_end: date | None  # None = ongoing
    area_code: str  # "310000" city-wide or a district code
    relations: str  # relations in time span and geography to other datasets (may be "")
    notes: str  # other notes users need (may be "")
    classification: Classification
    application_materials: tuple[str, ...] = ()  # conditional data: every material an application needs
    row_count: int = 0  # rows the generator produces (0 for not-open datasets)
    published: bool = True
    keywords_en: tuple[str, ...] = ()

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.fields)

    def open_list_entry(self) -> OpenListEntry:
        """The open-list view of this dataset that the catalog rules check (CAT-2, CAT-4)."""
        return OpenListEntry(
            name=self.name,
            summary=self.summary,
            domain=self.domain,
            fields=list(self.fields),
            formats=list(self.formats),
            update_frequency=self.update_frequency,
            classification=self.classification,
            tags=list(self.tags),
        )
