"""Checks another domain requires before a dataset may be (re)published — e.g. the privacy gate.

Every path to the published state (direct publication, an approved open-list work order, reopening
after a suspension) calls `check_publication` in its transaction. A gate returns problems; any problem
refuses the publication with all problems listed at once. `GATE_MODULES` lists the modules that
register gates; they are imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from publicdata.catalog.tables import Dataset
from publicdata.errors import Conflict

GATE_MODULES: tuple[str, ...] = ("publicdata.privacy.gate",)


@dataclass(frozen=True)
class GateProblem:
    gate: str
    code: str
    message_en: str
    message_zh: str
    details: dict[str, Any] = field(default_factory=dict)


PublicationGate = Callable[[Session, Dataset], list[GateProblem]]

_GATES: dict[str, PublicationGate] = {}
_loaded = False


def register_gate(name: str, gate: PublicationGate) -> None:
    _GATES[name] = gate


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        for module in GATE_MODULES:
            importlib.import_module(module)
        _loaded = True


def publication_problems(session: Session, dataset: Dataset) -> list[GateProblem]:
    _ensure_loaded()
    problems: list[GateProblem] = []
    for gate in _GATES.values():
        problems.extend(gate(session, dataset))
    return problems


def check_publication(session: Session, dataset: Dataset) -> None:
    """Refuse (409 `publication_blocked`) with every gate's problems, or return."""
    problems = publication_problems(session, dataset)
    if problems:
        raise Conflict(
            "publication refused: " + "; ".join(p.message_en for p in problems),
            message_zh="不能发布：" + "；".join(p.message_zh for p in problems),
            code="publication_blocked",
            details=[
                {
                    "gate": p.gate,
                    "code": p.code,
                    "message_en": p.message_en,
                    "message_zh": p.message_zh,
                    **p.details,
                }
                for p in problems
            ],
        )
