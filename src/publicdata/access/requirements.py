"""Materials an application for one conditional dataset needs, listed once and completely (ACC-2),
and the agreement template: defaults from the open conditions, edited by provider staff."""

from __future__ import annotations

from sqlalchemy.orm import Session

from publicdata.access import model, rules
from publicdata.access.app_schemas import (
    RequirementIn,
    RequirementOut,
)
from publicdata.access.tables import AccessRequirement
from publicdata.audit.service import record_audit
from publicdata.catalog import service as catalog
from publicdata.catalog.model import OpenClass
from publicdata.catalog.tables import Dataset
from publicdata.errors import Conflict, NotFound, ValidationFailed
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform

# ---------------------------------------------------------------------------------------------
# Materials per dataset (ACC-2)
# ---------------------------------------------------------------------------------------------


def conditional_only(dataset: Dataset) -> None:
    if dataset.open_class != OpenClass.CONDITIONAL.value:
        raise Conflict(
            "only conditional data is applied for",
            message_zh="仅有条件开放数据需要申请",
            code="not_conditional",
        )


def effective_requirement(session: Session, dataset: Dataset) -> tuple[AccessRequirement, bool]:
    """The stored requirement, or (not stored) the defaults derived from the open conditions."""
    stored = session.get(AccessRequirement, dataset.id)
    if stored is not None:
        return stored, True
    kinds = [str(c.get("kind")) for c in dataset.conditions or []]
    materials = model.default_materials(kinds, dataset.application_materials or [])
    return (
        AccessRequirement(
            dataset_id=dataset.id,
            materials=[m.as_dict() for m in materials],
            agreement_template=model.DEFAULT_AGREEMENT_TEMPLATE,
            min_level="L1",
            credit_check="credit" in kinds,
            expert_threshold_rows=None,
        ),
        False,
    )


def _requirement_out(dataset: Dataset, req: AccessRequirement, configured: bool) -> RequirementOut:
    return RequirementOut(
        dataset_id=dataset.id,
        dataset_code=dataset.code,
        dataset_name=dataset.name,
        conditions=list(dataset.conditions or []),
        materials=list(req.materials),
        agreement_template=req.agreement_template or model.DEFAULT_AGREEMENT_TEMPLATE,
        min_level=req.min_level,
        credit_check=req.credit_check,
        expert_threshold_rows=req.expert_threshold_rows,
        configured=configured,
    )


def get_requirements(platform: Platform, *, actor: Principal, dataset_ref: str) -> RequirementOut:
    with platform.db.reading() as session:
        dataset = catalog.find_dataset(session, dataset_ref)
        if not catalog.visible_to(actor, dataset):
            raise NotFound(f"dataset '{dataset_ref}' not found", message_zh="数据集不存在")
        conditional_only(dataset)
        req, configured = effective_requirement(session, dataset)
        return _requirement_out(dataset, req, configured)


def set_requirements(
    platform: Platform, *, actor: Principal, dataset_ref: str, data: RequirementIn
) -> RequirementOut:
    """Provider staff list the materials and the agreement template of one conditional dataset."""
    materials = [m.model_dump() for m in data.materials]
    problems = model.material_problems(materials) + model.template_problems(data.agreement_template)
    if not materials:
        problems.append(("materials", "list at least one material"))
    if problems:
        raise ValidationFailed(
            "the requirements are not valid",
            message_zh="申请材料清单或协议模板有误",
            details=[{"field": f, "message": m} for f, m in problems],
        )
    with platform.db.transaction() as session:
        dataset = catalog.find_dataset(session, dataset_ref)
        require(rules.can_edit_requirements(actor, dataset.provider_id))
        conditional_only(dataset)
        req = session.get(AccessRequirement, dataset.id)
        if req is None:
            req = AccessRequirement(dataset_id=dataset.id)
            session.add(req)
        req.materials = materials
        req.agreement_template = data.agreement_template or model.DEFAULT_AGREEMENT_TEMPLATE
        req.min_level = data.min_level
        req.credit_check = data.credit_check
        req.expert_threshold_rows = data.expert_threshold_rows
        req.updated_by = actor.user_id
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="access.requirements_set",
            subject_type="dataset",
            subject_id=dataset.id,
            organization_id=dataset.provider_id,
            details={
                "materials": [m["key"] for m in materials],
                "min_level": req.min_level,
                "credit_check": req.credit_check,
                "expert_threshold_rows": req.expert_threshold_rows,
                "template_sha256": model.agreement_hash(req.agreement_template),
            },
        )
        return _requirement_out(dataset, req, True)
