"""Deterministic sample rows for the demo datasets.

``generate_rows(spec)`` yields exactly ``spec.row_count`` rows whose keys are the spec's field names in
order. The random generator is seeded from the dataset code, so the rows are the same on every run and
on every machine. Datasets with a dedicated generator (``tables_*`` modules) look like the real data;
other columns are filled by name (district, address, coordinates, credit code …) or by type.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_base import GENERIC, Maker, Row, RowDict, fallback_value
from publicdata.demo.tables_economy import MAKERS as ECONOMY_MAKERS
from publicdata.demo.tables_environment import MAKERS as ENVIRONMENT_MAKERS
from publicdata.demo.tables_health import MAKERS as HEALTH_MAKERS
from publicdata.demo.tables_places import MAKERS as PLACE_MAKERS
from publicdata.demo.tables_services import MAKERS as SERVICE_MAKERS
from publicdata.demo.tables_transport import MAKERS as TRANSPORT_MAKERS

MAKERS: dict[str, Maker] = {
    **TRANSPORT_MAKERS,
    **HEALTH_MAKERS,
    **ENVIRONMENT_MAKERS,
    **ECONOMY_MAKERS,
    **SERVICE_MAKERS,
    **PLACE_MAKERS,
}


def rng_for(spec: DatasetSpec) -> random.Random:
    """The dataset's own random generator, seeded from its code (string seeds hash with SHA-512)."""
    return random.Random(f"publicdata-demo:{spec.code}")


def generate_rows(spec: DatasetSpec) -> Iterator[RowDict]:
    """Exactly ``spec.row_count`` rows with the spec's columns in order; same output on every call."""
    if spec.row_count <= 0:
        return
    rng = rng_for(spec)
    maker = MAKERS.get(spec.code)
    special = maker(spec, rng) if maker is not None else None
    fields = spec.fields
    for index in range(spec.row_count):
        row = Row(rng, spec, index)
        values = special(row) if special is not None else {}
        out: RowDict = {}
        for item in fields:
            name = item.name
            if name in values:
                out[name] = values[name]
            elif name in GENERIC:
                out[name] = GENERIC[name](row)
            else:
                out[name] = fallback_value(item, row)
        yield out


def has_dedicated_generator(spec: DatasetSpec) -> bool:
    return spec.code in MAKERS
