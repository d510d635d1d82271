"""Provider back office (PLT-3): datasets with their field table, file uploads, open-list work orders
(submit, see returns with reasons, working-day countdown)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from publicdata.catalog import model, resources
from publicdata.catalog import service as catalog
from publicdata.catalog.review import (
    RETURN_REASON_LABELS,
    ChangeKind,
    resubmit_change,
    submit_open_list_change,
)
from publicdata.catalog.schemas import DatasetIn, DatasetOut, DatasetPatch
from publicdata.errors import AppError, NotAuthenticated, PermissionDenied
from publicdata.identity import service as identity
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.web import datastore_view
from publicdata.web.portal import labels
from publicdata.web.render import (
    check_form_csrf,
    error_message,
    platform_of,
    post_form,
    principal_of,
    redirect,
    render,
    twin_get,
)
from publicdata.workorders import service as workorders

router = APIRouter(prefix="/backoffice")

FormStr = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
BLANK_FIELD_ROWS = 3


def provider_orgs(principal: Principal) -> list[str]:
    if principal.is_anonymous:
        raise NotAuthenticated()
    orgs = sorted({org for role, org in principal.roles if role is Role.PROVIDER_STAFF and org})
    if not orgs:
        raise PermissionDenied(
            "the back office is for provider staff", message_zh="数据管理后台仅供数据提供方工作人员使用"
        )
    return orgs


def reasons_of(order: Any) -> list[dict[str, str]]:
    """The return reasons recorded on an order, labelled."""
    labelled = {r.value: pair for r, pair in RETURN_REASON_LABELS.items()}
    payload = getattr(order, "payload", {}) or {}
    out = []
    for value in payload.get("return_reasons", []) or []:
        value = value if isinstance(value, str) else str(value)
        zh, en = labelled.get(value, (value, value))
        out.append({"value": value, "label": zh, "label_en": en})
    return out


@twin_get(router, "")
def home(request: Request) -> Response:
    platform = platform_of(request)
    principal = principal_of(request)
    orgs = provider_orgs(principal)
    datasets: list[Any] = []
    providers = []
    for org_id in orgs:
        org = identity.get_organization(platform, ref=org_id)
        providers.append(org)
        _, items = catalog.list_datasets(platform, actor=principal, provider=org.code, limit=100_000)
        datasets.extend(items)
    _, orders = workorders.list_orders(
        platform, actor=principal, scope="organization", type="open_list_change", offset=0, limit=200
    )
    detailed = [
        workorders.get_order(platform, actor=principal, order_id=o.id) for o in orders if not o.closed
    ]
    data = {
        "providers": providers,
        "datasets": datasets,
        "orders": [
            {
                **o.model_dump(exclude={"history", "my_actions"}),
                "return_reasons": reasons_of(o),
                "return_note": next((e.note for e in reversed(o.history) if e.action == "return"), ""),
                "dataset_code": o.payload.get("dataset_code"),
            }
            for o in detailed
        ],
        "closed_orders": [o for o in orders if o.closed][:20],
    }
    return render(request, "backoffice.html", data)


def _blank_form(provider_code: str) -> dict[str, Any]:
    return {
        "provider": provider_code,
        "name": "",
        "name_en": "",
        "summary": "",
        "domain": "",
        "tags": "",
        "formats": ["csv"],
        "update_frequency": "monthly",
        "time_start": "",
        "time_end": "",
        "area_code": "310000",
        "open_class": "unconditional",
        "grading": {"personal": 1, "organizational": 1, "object": 1},
        "opening_basis": "",
        "not_open_reason": "",
        "conditions": [],
        "application_materials": "",
        "notes": "",
        "fields": [],
    }


def _form_of(dataset: DatasetOut) -> dict[str, Any]:
    data = dataset.model_dump(mode="json")
    data["provider"] = dataset.provider.code
    data["tags"] = "，".join(dataset.tags)
    data["application_materials"] = "\n".join(dataset.application_materials)
    data["time_start"] = data["time_start"] or ""
    data["time_end"] = data["time_end"] or ""
    data["opening_basis"] = data["opening_basis"] or ""
    data["not_open_reason"] = data["not_open_reason"] or ""
    return data


def _form_page(
    request: Request, form: dict[str, Any], *, code: str | None, error: Any = None, status_code: int = 200
) -> Response:
    dataset = None
    if code is not None:
        dataset = catalog.get_dataset(platform_of(request), actor=principal_of(request), ref=code)
    versions = []
    if code is not None:
        versions = datastore_view.versions(platform_of(request), actor=principal_of(request), code=code)
    data = {
        "form": form,
        "code": code,
        "dataset": dataset,
        "versions": versions,
        "ingest": request.query_params.get("ingest"),
        "error": error,
        "blank_rows": BLANK_FIELD_ROWS,
        "field_types": [t.value for t in model.FieldType],
        "formats": [f.value for f in model.DataFormat],
        "condition_kinds": [c.value for c in model.ConditionKind],
        "labels": labels(),
        "change_kinds": [c.value for c in ChangeKind],
    }
    return render(request, "dataset_form.html", data, status_code=status_code)


@twin_get(router, "/datasets/new")
def new_dataset(request: Request) -> Response:
    orgs = provider_orgs(principal_of(request))
    org = identity.get_organization(platform_of(request), ref=orgs[0])
    return _form_page(request, _blank_form(org.code), code=None)


@twin_get(router, "/datasets/{code}/edit")
def edit_dataset(request: Request, code: str) -> Response:
    provider_orgs(principal_of(request))
    dataset = catalog.get_dataset(platform_of(request), actor=principal_of(request), ref=code)
    return _form_page(request, _form_of(dataset), code=code)


def _entry(form: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the form shows again, the DatasetIn document) from the posted form."""
    get = form.get

    def text(name: str) -> str:
        return str(get(name) or "").strip()

    fields = []
    rows = zip(
        form.getlist("field_name"),
        form.getlist("field_label"),
        form.getlist("field_type"),
        form.getlist("field_unit"),
        form.getlist("field_description"),
        strict=False,
    )
    for name, label, ftype, unit, description in rows:
        if str(name).strip() or str(label).strip():
            fields.append(
                {
                    "name": str(name).strip(),
                    "label": str(label).strip(),
                    "type": ftype or "text",
                    "unit": str(unit).strip(),
                    "description": str(description).strip(),
                }
            )
    conditions = [
        {"kind": kind, "description": str(get(f"condition_{kind}") or "").strip()}
        for kind in [c.value for c in model.ConditionKind]
        if str(get(f"condition_{kind}") or "").strip()
    ]
    shown: dict[str, Any] = {
        "provider": text("provider"),
        "name": text("name"),
        "name_en": text("name_en"),
        "summary": text("summary"),
        "domain": text("domain"),
        "tags": text("tags"),
        "formats": form.getlist("formats"),
        "update_frequency": text("update_frequency"),
        "time_start": text("time_start"),
        "time_end": text("time_end"),
        "area_code": text("area_code") or "310000",
        "open_class": text("open_class"),
        "grading": {k: int(get(f"grade_{k}") or 1) for k in ("personal", "organizational", "object")},
        "opening_basis": text("opening_basis"),
        "not_open_reason": text("not_open_reason"),
        "conditions": conditions,
        "application_materials": text("application_materials"),
        "notes": text("notes"),
        "fields": fields,
    }
    document = {
        **shown,
        "tags": [t.strip() for t in shown["tags"].replace("，", ",").split(",") if t.strip()],
        "application_materials": [
            m.strip() for m in shown["application_materials"].splitlines() if m.strip()
        ],
        "time_start": shown["time_start"] or None,
        "time_end": shown["time_end"] or None,
        "opening_basis": shown["opening_basis"] or None,
        "not_open_reason": shown["not_open_reason"] or None,
    }
    return shown, document


def _invalid(request: Request, exc: ValidationError) -> dict[str, Any]:
    return {
        "message": "表单内容不符合要求" if request.cookies.get("lang") != "en" else "the form is not valid",
        "details": [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()],
    }


@router.post("/datasets", include_in_schema=False)
async def create_dataset(request: Request) -> Response:
    form = await request.form()
    return await _save(request, form, code=None)


@router.post("/datasets/{code}/edit", include_in_schema=False)
async def update_dataset(request: Request, code: str) -> Response:
    form = await request.form()
    return await _save(request, form, code=code)


async def _save(request: Request, form: Any, *, code: str | None) -> Response:
    from starlette.concurrency import run_in_threadpool

    def work() -> Response:
        from publicdata.web.render import render_error

        try:
            principal = check_form_csrf(request, {"csrf_token": form.get("csrf_token")})
            provider_orgs(principal)
        except AppError as exc:
            return render_error(request, exc)
        shown, document = _entry(form)
        platform = platform_of(request)
        try:
            if code is None:
                created = catalog.create_dataset(
                    platform, actor=principal, data=DatasetIn.model_validate(document)
                )
                return redirect(f"/backoffice/datasets/{created.code}/edit?saved=1", request)
            patch = {k: v for k, v in document.items() if k != "provider"}
            patch["revision"] = int(form.get("revision") or 0)
            catalog.update_dataset(
                platform, actor=principal, ref=code, patch=DatasetPatch.model_validate(patch)
            )
            return redirect(f"/backoffice/datasets/{code}/edit?saved=1", request)
        except ValidationError as exc:
            return _form_page(request, shown, code=code, error=_invalid(request, exc), status_code=422)
        except AppError as exc:
            return _form_page(
                request, shown, code=code, error=error_message(request, exc), status_code=exc.status_code
            )

    return await run_in_threadpool(work)


@post_form(router, "/datasets/{code}/files")
def upload_file(
    request: Request,
    code: str,
    file: Annotated[UploadFile, File()],
    name: FormStr = "",
    description: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    """Attach a data file (CSV in UTF-8 or GBK, XLSX, JSON…) to the dataset as a downloadable resource."""
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    resources.add_file_resource(
        platform_of(request),
        actor=principal,
        ref=code,
        name=name.strip() or (file.filename or "data"),
        filename=file.filename or "upload",
        stream=file.file,
        description=description,
    )
    return redirect(f"/backoffice/datasets/{code}/edit?uploaded=1#files", request)


@post_form(router, "/datasets/{code}/data")
def ingest_data(
    request: Request,
    code: str,
    file: Annotated[UploadFile, File()],
    encoding: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    """Load a file into the data store (preview, queries, downloads in every format); the ingest
    detects the encoding (UTF-8 or GBK) unless the provider names it."""
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    job = datastore_view.ingest(
        platform_of(request),
        actor=principal,
        code=code,
        filename=file.filename or "upload",
        stream=file.file,
        encoding=encoding or None,
    )
    return redirect(f"/backoffice/datasets/{code}/edit?ingest={job['state']}#data", request)


@post_form(router, "/datasets/{code}/submit")
def submit_for_review(
    request: Request, code: str, reason: FormStr = "", change: FormStr = "add", csrf_token: FormStr = ""
) -> Response:
    """Submit an open-list change work order; the center reviews it within the working-day SLA."""
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    platform = platform_of(request)
    try:
        submit_open_list_change(
            platform, actor=principal, dataset_ref=code, change=ChangeKind(change), reason=reason
        )
    except (AppError, ValueError) as exc:
        dataset = catalog.get_dataset(platform, actor=principal, ref=code)
        error = (
            error_message(request, exc) if isinstance(exc, AppError) else {"message": str(exc), "details": []}
        )
        return _form_page(request, _form_of(dataset), code=code, error=error, status_code=422)
    return redirect("/backoffice?submitted=1", request)


@post_form(router, "/orders/{order_id}/resubmit")
def resubmit(request: Request, order_id: str, note: FormStr = "", csrf_token: FormStr = "") -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    resubmit_change(platform_of(request), actor=principal, order_id=order_id, note=note)
    return redirect("/backoffice?resubmitted=1", request)
