"""Privacy API: a dataset's scan, rules and gate status; rules; reprocessing; k-anonymity; overrides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from publicdata.http import PlatformDep, PrincipalDep
from publicdata.privacy import service

router = APIRouter(prefix="/api/v1", tags=["privacy"])


class RulesIn(BaseModel):
    rules: list[dict[str, Any]] = Field(
        description="Per-column rules: {column, kind: mask|pseudonym|generalize|truncate|drop, "
        "keep_first, keep_last (mask), length (truncate), to: year|age_band|district|grid, decimals (grid)}."
    )


class OverrideIn(BaseModel):
    justification: str = Field(description="Why this version may be published as it is (≥ 20 characters).")


@router.get("/datasets/{ref}/privacy", operation_id="get_dataset_privacy")
def get_privacy(platform: PlatformDep, actor: PrincipalDep, ref: str) -> dict[str, Any]:
    return service.privacy_status(platform, actor=actor, ref=ref)


@router.put("/datasets/{ref}/privacy/rules", operation_id="set_privacy_rules")
def put_rules(platform: PlatformDep, actor: PrincipalDep, ref: str, body: RulesIn) -> dict[str, Any]:
    return service.set_rules(platform, actor=actor, ref=ref, rules=body.rules)


@router.post("/datasets/{ref}/privacy/reprocess", operation_id="reprocess_privacy", status_code=201)
def reprocess(platform: PlatformDep, actor: PrincipalDep, ref: str) -> dict[str, Any]:
    return service.reprocess_dataset(platform, actor=actor, ref=ref)


@router.get("/datasets/{ref}/privacy/k-anonymity", operation_id="get_k_anonymity")
def k_anonymity(
    platform: PlatformDep,
    actor: PrincipalDep,
    ref: str,
    columns: Annotated[str, Query(description="Quasi-identifier columns, comma-separated.")],
    k: int = 5,
) -> dict[str, Any]:
    return service.k_anonymity(platform, actor=actor, ref=ref, columns=columns.split(","), k=k)


@router.post("/datasets/{ref}/privacy/override", operation_id="file_privacy_override", status_code=201)
def override(platform: PlatformDep, actor: PrincipalDep, ref: str, body: OverrideIn) -> dict[str, Any]:
    return service.file_override(platform, actor=actor, ref=ref, justification=body.justification)


@router.get("/privacy/overrides", operation_id="list_privacy_overrides")
def list_overrides(
    platform: PlatformDep, actor: PrincipalDep, organization: str | None = None
) -> list[dict[str, Any]]:
    return service.list_overrides(platform, actor=actor, organization_id=organization)
