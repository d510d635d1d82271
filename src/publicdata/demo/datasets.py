"""The demo open list: every dataset specification, grouped by domain in the ``datasets_*`` modules."""

from __future__ import annotations

from publicdata.demo.datasets_credit import CREDIT, INSTITUTIONS
from publicdata.demo.datasets_culture_safety import CULTURE, SAFETY
from publicdata.demo.datasets_economy import ECONOMY
from publicdata.demo.datasets_health_env import ENVIRONMENT, HEALTH
from publicdata.demo.datasets_services import EDUCATION, LIVELIHOOD, SOCIAL
from publicdata.demo.datasets_transport import TRANSPORT
from publicdata.demo.datasets_urban import URBAN
from publicdata.demo.specs import DatasetSpec

DATASETS: tuple[DatasetSpec, ...] = (
    *TRANSPORT,
    *HEALTH,
    *ENVIRONMENT,
    *ECONOMY,
    *CREDIT,
    *EDUCATION,
    *LIVELIHOOD,
    *URBAN,
    *SOCIAL,
    *CULTURE,
    *SAFETY,
    *INSTITUTIONS,
)

DATASETS_BY_CODE: dict[str, DatasetSpec] = {spec.code: spec for spec in DATASETS}


def dataset_spec(code: str) -> DatasetSpec:
    """The dataset specification with this code; ``KeyError`` if there is none."""
    return DATASETS_BY_CODE[code]
