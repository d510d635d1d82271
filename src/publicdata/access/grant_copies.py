"""Cleaning up grants' cut-down copies (ACC-6).

Under a grant, every read runs over a copy of the data version cut to the grant's scope — only the
allowed columns, only the rows passing the row filter — which the data store writes once per (version,
column types, scope) as `<dataset>/grants/<version stem>-<scope key>.parquet`, with the downloads made
from it cached in `<dataset>/grants/exports/<copy stem>-<types key>.<format>`
(`datastore.export.scoped_parquet`, `export_file`). They are a cache: a missing copy is written again on
the next read. Nothing else ever removes them; this module does, deciding per file:

- **needed** — the copy of the current version for a grant that may still serve (active or suspended,
  not expired: a suspension may be lifted): kept;
- **dead** — the copy is one no grant can be served any more: the grant is closed or expired, the
  version was retracted (or is gone): removed at once, with its cached downloads;
- **superseded** — a serving grant's copy of an older version: removed once the copy of the current
  version exists and both have been idle for `IDLE_SECONDS` (not written, nor read since written): by
  then readers have moved on to the current version, and a reader that resolved the old copy a moment
  before the switch has long opened it;
- **unknown** (a scope no grant has, e.g. of column types changed since) and **temporary files** of
  writers that crashed (`.tmp-<pid>-…` of a process that is gone): removed once idle as long.

Removing is safe on POSIX: unlinking a file a reader has open does not disturb it — DuckDB and a
download stream go on reading the open file, which is freed when the last reader closes it; a later
read writes the copy again. The grace period covers the short step between a read choosing its file and
opening it, and writers on other hosts sharing the data folder (a live writer keeps its temp file's
modification time fresh). Idle times are measured against the wall clock, whatever `now` a duty is
run for (`now` decides which grants are expired).

When: closing a grant removes its copies straight away (`remove_unneeded` after the close is committed);
the timed duty `access.grant_copies` (`publicdata tick`) sweeps every dataset's folder, which catches
expiry, new versions, retractions and whatever crashed processes left behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.access import grant_model as gm
from publicdata.access.grant_tables import AccessGrant
from publicdata.config import Settings
from publicdata.datastore.model import effective_columns
from publicdata.datastore.tables import DatasetHead, DataVersion
from publicdata.db import utcnow
from publicdata.platform import Platform

log = logging.getLogger("publicdata.access.copies")

COPIES_FOLDER = "grants"  # in a dataset's folder (datastore.export.scoped_parquet)
EXPORTS_FOLDER = "exports"  # in the copies folder (datastore.export.export_file)
TEMP_PREFIX = ".tmp-"  # .tmp-<pid>-<random>-<final name>, renamed into place when complete
IDLE_SECONDS = 15 * 60  # superseded, unknown and orphaned temporary files: untouched this long


def copy_stem(version: DataVersion, fields: Sequence[str], row_filter: Sequence[Mapping[str, Any]]) -> str:
    """The name (without `.parquet`) the data store gives the copy of `version` cut to a grant's scope:
    the version file's stem and a key of (columns with their effective types, fields, row filter), as
    `datastore.export.scoped_parquet` computes it."""
    columns = effective_columns(version.columns, version.overrides or {})
    scope = [[c.name, c.type.value] for c in columns], list(fields), list(row_filter)
    key = hashlib.sha256(json.dumps(scope, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"{Path(version.path).stem}-{key}"


@dataclass
class CopyPlan:
    """What becomes of a dataset's copies, by copy stem."""

    needed: set[str] = field(default_factory=set)
    # stem → the current-version copies that replace it (one per serving grant with that scope)
    superseded: dict[str, set[str]] = field(default_factory=dict)
    dead: set[str] = field(default_factory=set)

    def fate(self, stem: str) -> str:
        if stem in self.needed:
            return "needed"
        if stem in self.superseded:
            return "superseded"
        return "dead" if stem in self.dead else "unknown"


def grant_may_serve(grant: AccessGrant, today: date) -> bool:
    """Could the grant still be served (now or after a suspension is lifted, or once it starts)?"""
    return grant.state != gm.GrantState.CLOSED and today <= grant.valid_until


def plan_copies(session: Session, dataset_id: str, today: date) -> CopyPlan:
    """Classify every copy the dataset's grants can have (see the module's rules)."""
    grants = list(session.scalars(select(AccessGrant).where(AccessGrant.dataset_id == dataset_id)))
    versions = list(session.scalars(select(DataVersion).where(DataVersion.dataset_id == dataset_id)))
    head = session.get(DatasetHead, dataset_id)
    current = next((v for v in versions if head is not None and v.version == head.version), None)
    plan = CopyPlan()
    for grant in grants:
        fields, row_filter = list(grant.fields), list(grant.row_filter or [])
        serving = grant_may_serve(grant, today)
        replacement = (
            copy_stem(current, fields, row_filter)
            if serving and current is not None and current.retracted_at is None
            else None
        )
        for version in versions:
            stem = copy_stem(version, fields, row_filter)
            if not serving or version.retracted_at is not None:
                plan.dead.add(stem)
            elif stem == replacement:
                plan.needed.add(stem)
            elif replacement is not None:
                plan.superseded.setdefault(stem, set()).add(replacement)
            else:  # no readable current version: nothing replaces the copies readers have
                plan.needed.add(stem)
    return plan


def _idle(stat: os.stat_result, wall: float, idle_seconds: float) -> bool:
    return wall - max(stat.st_mtime, stat.st_atime) >= idle_seconds


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _owner_stem(name: str, *, export: bool) -> str:
    """The copy a file belongs to: `<stem>.parquet`, or an export `<stem>-<types key>[-bom].<format>`."""
    base = name.rsplit(".", 1)[0]
    if not export:
        return base
    return base.removesuffix("-bom").rsplit("-", 1)[0]


def _removable(path: Path, plan: CopyPlan, *, export: bool, copies: Path, wall: float, idle: float) -> bool:
    name = path.name
    stat = path.stat()
    if name.startswith(TEMP_PREFIX):  # a writer's unfinished file: only a dead writer's, once idle
        pid = name[len(TEMP_PREFIX) :].split("-", 1)[0]
        return pid.isdigit() and not _pid_alive(int(pid)) and _idle(stat, wall, idle)
    stem = _owner_stem(name, export=export)
    fate = plan.fate(stem)
    if fate == "needed":
        return False
    if fate == "dead":
        return True
    if fate == "superseded":
        for replacement in plan.superseded[stem]:
            current = copies / f"{replacement}.parquet"
            try:
                written = current.stat().st_mtime
            except FileNotFoundError:
                continue
            if wall - written >= idle and _idle(stat, wall, idle):
                return True
        return False
    return _idle(stat, wall, idle)


def sweep_dataset(
    settings: Settings, plan: CopyPlan, dataset_id: str, *, idle_seconds: float = IDLE_SECONDS
) -> dict[str, int]:
    """Remove the dataset's copies (and their cached downloads) the plan does not keep."""
    copies = settings.resolved_data_dir / dataset_id / COPIES_FOLDER
    counts = {"removed": 0, "kept": 0, "failed": 0}
    wall = time.time()
    for folder, export in ((copies, False), (copies / EXPORTS_FOLDER, True)):
        try:
            entries = list(folder.iterdir())
        except FileNotFoundError:
            continue
        for path in entries:
            try:
                if not path.is_file():
                    continue
                if _removable(path, plan, export=export, copies=copies, wall=wall, idle=idle_seconds):
                    path.unlink(missing_ok=True)
                    counts["removed"] += 1
                else:
                    counts["kept"] += 1
            except FileNotFoundError:  # removed meanwhile (another server's sweep, a renamed temp file)
                continue
            except OSError:
                log.warning("could not remove grant copy %s", path, exc_info=True)
                counts["failed"] += 1
    if counts["removed"]:
        log.info("grant copies of dataset %s: %s", dataset_id, counts)
    return counts


def _datasets_with_copies(settings: Settings) -> list[str]:
    root = settings.resolved_data_dir
    try:
        folders = list(root.iterdir())
    except FileNotFoundError:
        return []
    return sorted(f.name for f in folders if not f.name.startswith(".") and (f / COPIES_FOLDER).is_dir())


def sweep_copies(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    dataset_ids: Iterable[str] | None = None,
    idle_seconds: float = IDLE_SECONDS,
) -> dict[str, int]:
    """Remove the copies no grant needs in the given datasets' folders (default: every dataset that
    has copies). Reads the grants and versions in `session`; changes nothing in the database."""
    today = gm.shanghai_day(now)
    totals = {"removed": 0, "kept": 0, "failed": 0}
    chosen = sorted(set(dataset_ids)) if dataset_ids is not None else _datasets_with_copies(settings)
    for dataset_id in chosen:
        counts = sweep_dataset(
            settings, plan_copies(session, dataset_id, today), dataset_id, idle_seconds=idle_seconds
        )
        for key, value in counts.items():
            totals[key] += value
    return totals


def remove_unneeded(
    platform: Platform,
    *,
    dataset_id: str | None = None,
    now: datetime | None = None,
    idle_seconds: float = IDLE_SECONDS,
) -> dict[str, int]:
    """Remove one dataset's (or every dataset's) unneeded copies now: after a grant is closed, and for
    the CLI and tests. Runs after the change is committed, so the copies' fate is read as it stands."""
    with platform.db.reading() as session:
        return sweep_copies(
            session,
            platform.settings,
            now=now or utcnow(),
            dataset_ids=None if dataset_id is None else [dataset_id],
            idle_seconds=idle_seconds,
        )
