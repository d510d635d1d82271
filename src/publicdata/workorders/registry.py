"""Registered work-order types, their action handlers, and scheduled jobs of the workflows.

The engine never names a concrete type. A workflow module registers its definition (and, if the
type's actions change other domains, a handler run in the same transaction), plus any timed duty
it wants `tick` to run. `DEFINITION_MODULES` lists the workflow modules to import so that every
type is known to the API and to `tick`; a new workflow appends its module here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from publicdata.config import Settings
from publicdata.identity.permissions import Principal
from publicdata.workdays.model import WorkdayCalendar
from publicdata.workorders.model import Transition, WorkOrderType
from publicdata.workorders.tables import WorkOrder

DEFINITION_MODULES: tuple[str, ...] = (
    "publicdata.catalog.review",
    "publicdata.catalog.review_jobs",
    "publicdata.access.workflow",
    "publicdata.access.grant_jobs",
    "publicdata.objections.workflow",
    "publicdata.quality.workflow",
)


@dataclass
class ActionContext:
    actor: Principal
    order: WorkOrder
    transition: Transition
    note: str
    details: Mapping[str, Any]
    attachments: list[dict[str, Any]]
    now: datetime
    calendar: WorkdayCalendar
    extra: dict[str, Any] = field(default_factory=dict)
    # Users the handler told about this step in a message of its own (more specific than the engine's):
    # the engine's generic notice of the step skips them, so everyone hears of a step once.
    notified: set[str] = field(default_factory=set)


class ActionHandler(Protocol):
    def __call__(self, session: Session, ctx: ActionContext) -> Mapping[str, Any] | None:
        """Validate the action's details and apply its effects on other domains (same transaction).

        Runs after the state check and before the order's state changes. Raise an AppError to
        refuse; return details to record in the history entry and the audit record.
        """


@dataclass(frozen=True)
class JobContext:
    now: datetime
    calendar: WorkdayCalendar
    jurisdiction: str
    settings: Settings


ScheduledJob = Callable[[Session, JobContext], Mapping[str, int]]

_TYPES: dict[str, WorkOrderType] = {}
_HANDLERS: dict[str, ActionHandler] = {}
_JOBS: dict[str, ScheduledJob] = {}


def register_type(definition: WorkOrderType, handler: ActionHandler | None = None) -> WorkOrderType:
    existing = _TYPES.get(definition.name)
    if existing is not None and existing != definition:
        raise ValueError(f"work-order type '{definition.name}' registered twice, differently")
    _TYPES[definition.name] = definition
    if handler is not None:
        _HANDLERS[definition.name] = handler
    return definition


def register_job(name: str, job: ScheduledJob) -> None:
    """A timed duty `tick` runs in its own transaction: job(session, context) -> counts."""
    _JOBS[name] = job


def ensure_loaded() -> None:
    for module in DEFINITION_MODULES:
        importlib.import_module(module)


def get_type(name: str) -> WorkOrderType:
    ensure_loaded()
    try:
        return _TYPES[name]
    except KeyError as exc:
        raise KeyError(f"unknown work-order type '{name}'") from exc


def handler_for(name: str) -> ActionHandler | None:
    return _HANDLERS.get(name)


def all_types() -> list[WorkOrderType]:
    ensure_loaded()
    return sorted(_TYPES.values(), key=lambda t: t.name)


def scheduled_jobs() -> dict[str, ScheduledJob]:
    ensure_loaded()
    return dict(_JOBS)
