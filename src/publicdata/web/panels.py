"""Sections other domains add to the dataset page (quality, application, objections …).

A panel provider returns None (nothing to show) or a `Panel`: a template under `templates/panels/` and
its data. Panels render after the open-list fields, in registration order, and their data also appears
in the page's JSON twin under `panels[name]`. `PANEL_MODULES` lists the modules that register panels.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from publicdata.catalog.schemas import DatasetOut
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform

PANEL_MODULES: tuple[str, ...] = (
    "publicdata.web.quality_panel",
    "publicdata.web.access_pages",
    "publicdata.web.grant_pages",
    "publicdata.web.objection_pages",
)


@dataclass(frozen=True)
class Panel:
    name: str
    template: str  # e.g. "panels/quality.html"; the template sees `panel` (this object) and the page
    data: dict[str, Any]


PanelProvider = Callable[[Platform, Principal, DatasetOut], Panel | None]
_PROVIDERS: dict[str, PanelProvider] = {}
_loaded = False


def register_panel(name: str, provider: PanelProvider) -> None:
    _PROVIDERS[name] = provider


def dataset_panels(platform: Platform, actor: Principal, dataset: DatasetOut) -> list[Panel]:
    global _loaded
    if not _loaded:
        for module in PANEL_MODULES:
            importlib.import_module(module)
        _loaded = True
    panels = []
    for provider in _PROVIDERS.values():
        panel = provider(platform, actor, dataset)
        if panel is not None:
            panels.append(panel)
    return panels
