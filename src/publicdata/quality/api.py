"""Quality API: a dataset's report and score history, its check configuration, the center's
monitoring view, and sample datasets (QUA-1, CAT-8, ACC-7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from publicdata.http import PlatformDep, PrincipalDep
from publicdata.quality import samples, service

router = APIRouter(prefix="/api/v1", tags=["quality"])


class QualityConfigIn(BaseModel):
    key_columns: list[str] = Field(default_factory=list, max_length=20)
    constraints: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="column -> {min, max, allowed: [...], pattern}"
    )


class SampleIn(BaseModel):
    rows: int | None = Field(default=None, ge=1, le=samples.MAX_SAMPLE_ROWS)
    strata: list[str] = Field(default_factory=list, max_length=5)
    seed: int = Field(default=samples.DEFAULT_SEED, ge=0, le=2**31 - 1)


@router.get("/datasets/{ref}/quality", operation_id="get_dataset_quality")
def get_quality(platform: PlatformDep, actor: PrincipalDep, ref: str) -> dict[str, Any]:
    return service.get_quality(platform, actor=actor, ref=ref)


@router.put("/datasets/{ref}/quality/config", operation_id="set_quality_config")
def set_config(platform: PlatformDep, actor: PrincipalDep, ref: str, body: QualityConfigIn) -> dict[str, Any]:
    return service.set_config(
        platform, actor=actor, ref=ref, key_columns=body.key_columns, constraints=body.constraints
    )


@router.get("/quality/monitor", operation_id="quality_monitor")
def monitor(
    platform: PlatformDep, actor: PrincipalDep, provider: str | None = None, below: int | None = None
) -> dict[str, Any]:
    return service.monitor(platform, actor=actor, provider=provider, below=below)


@router.post("/datasets/{ref}/sample", operation_id="make_sample_dataset", status_code=201)
def make_sample(platform: PlatformDep, actor: PrincipalDep, ref: str, body: SampleIn) -> dict[str, Any]:
    return samples.make_sample(
        platform, actor=actor, ref=ref, rows=body.rows, strata=body.strata, seed=body.seed
    )
