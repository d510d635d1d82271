"""Portal pages of objections (QUA-3) and rights complaints (QUA-4).

- Dataset page panel `objections`: the "objection pending" marker, the dataset's objections (public
  part), and links to object or complain.
- `/objections/new?dataset=…`, `/complaints/new?dataset=…`: the forms (evidence files allowed).
- `/objections/mine`: my objections and complaints with their results; `/objections/{id}`,
  `/complaints/{id}`: one of them.
- `/center/objections`: the center's queue with both countdowns (mark in 1, decide in 2 working days),
  overdue highlighted; `/center/objections/{id}`: mark, forward, uphold or dismiss.
- `/backoffice/objections`: the provider's verification list and page (uphold / dismiss, correction).
- `/backoffice/complaints`: the provider's complaints: suspend at once, withdraw, restore, reprocess,
  and the leak trace table (with CSV export).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from publicdata.catalog.schemas import DatasetOut
from publicdata.errors import AppError, NotAuthenticated, ValidationFailed
from publicdata.identity.permissions import Principal
from publicdata.objections import complaints, leak_trace, model, rules, service
from publicdata.objections.model import ComplaintDecision, ObjectionKind, Outcome, RightKind
from publicdata.platform import Platform
from publicdata.web.panels import Panel, register_panel
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

router = APIRouter()

FormStr = Annotated[str, Form()]
FormFiles = Annotated[list[UploadFile] | None, File()]
DUE_SOON_DAYS = 1


# ---------------------------------------------------------------------------------------------
# The dataset-page panel
# ---------------------------------------------------------------------------------------------


def objection_panel(platform: Platform, actor: Principal, dataset: DatasetOut) -> Panel | None:
    view = service.dataset_objections(platform, actor=actor, dataset_ref=dataset.code)
    data: dict[str, Any] = {
        "dataset_code": dataset.code,
        "objection_pending": view.objection_pending,
        "pending_count": view.pending_count,
        "items": [i.model_dump(mode="json") for i in view.items],
        "object_url": f"/objections/new?dataset={dataset.code}",
        "complain_url": f"/complaints/new?dataset={dataset.code}",
        "signed_in": not actor.is_anonymous,
    }
    return Panel(name="objections", template="panels/objection.html", data=data)


register_panel("objections", objection_panel)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def signed_in(request: Request) -> Principal:
    principal = principal_of(request)
    if principal.is_anonymous:
        raise NotAuthenticated()
    return principal


def _urgency(clock: Any) -> str:
    if clock is None or clock.closed:
        return ""
    if clock.overdue:
        return "overdue"
    return "due-soon" if clock.remaining_working_days <= DUE_SOON_DAYS else ""


def _evidence(platform: Platform, actor: Principal, files: list[UploadFile] | None) -> list[str]:
    ids: list[str] = []
    for f in files or []:
        if not f.filename:
            continue
        stored = workorders.upload_attachment(platform, actor=actor, filename=f.filename, stream=f.file)
        ids.append(stored.upload_id)
    return ids


def _labels() -> dict[str, Any]:
    return {
        "kinds": [
            {"value": k.value, "label": zh, "label_en": en}
            for k, (zh, en) in model.OBJECTION_KIND_LABELS.items()
        ],
        "rights": [
            {"value": k.value, "label": zh, "label_en": en} for k, (zh, en) in model.RIGHT_KIND_LABELS.items()
        ],
    }


def _dataset(platform: Platform, actor: Principal, code: str) -> DatasetOut:
    from publicdata.catalog import service as catalog

    return catalog.get_dataset(platform, actor=actor, ref=code)


# ---------------------------------------------------------------------------------------------
# Forms for users
# ---------------------------------------------------------------------------------------------


def _objection_form(
    request: Request, code: str, *, error: Any = None, values: Any = None, status_code: int = 200
) -> Response:
    principal = signed_in(request)
    dataset = _dataset(platform_of(request), principal, code)
    data = {"dataset": dataset, "labels": _labels(), "error": error, "values": values or {}}
    return render(request, "objections/objection_form.html", data, status_code=status_code)


@twin_get(router, "/objections/new")
def objection_form(request: Request, dataset: str) -> Response:
    return _objection_form(request, dataset)


@post_form(router, "/objections/new")
def submit_objection(
    request: Request,
    dataset: FormStr,
    kind: FormStr,
    description: FormStr,
    fields: Annotated[list[str] | None, Form()] = None,
    rows: FormStr = "",
    evidence: FormFiles = None,
    csrf_token: FormStr = "",
) -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    platform = platform_of(request)
    try:
        try:
            chosen = ObjectionKind(kind)
        except ValueError as exc:
            raise ValidationFailed(
                "choose a kind", message_zh="请选择异议类型", details=[{"field": "kind"}]
            ) from exc
        created = service.submit_objection(
            platform,
            actor=principal,
            dataset_ref=dataset,
            kind=chosen,
            description=description,
            fields=fields or [],
            rows=rows,
            attachments=_evidence(platform, principal, evidence),
        )
    except AppError as exc:
        values = {"kind": kind, "description": description, "rows": rows, "fields": fields or []}
        return _objection_form(
            request, dataset, error=error_message(request, exc), values=values, status_code=exc.status_code
        )
    return redirect(f"/objections/{created.id}?submitted=1", request)


def _complaint_form(
    request: Request, code: str, *, error: Any = None, values: Any = None, status_code: int = 200
) -> Response:
    principal = signed_in(request)
    dataset = _dataset(platform_of(request), principal, code)
    data = {"dataset": dataset, "labels": _labels(), "error": error, "values": values or {}}
    return render(request, "objections/complaint_form.html", data, status_code=status_code)


@twin_get(router, "/complaints/new")
def complaint_form(request: Request, dataset: str) -> Response:
    return _complaint_form(request, dataset)


@post_form(router, "/complaints/new")
def submit_complaint(
    request: Request,
    dataset: FormStr,
    right: FormStr,
    description: FormStr,
    fields: Annotated[list[str] | None, Form()] = None,
    evidence: FormFiles = None,
    csrf_token: FormStr = "",
) -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    platform = platform_of(request)
    try:
        try:
            chosen = RightKind(right)
        except ValueError as exc:
            raise ValidationFailed(
                "choose a right", message_zh="请选择权利类型", details=[{"field": "right"}]
            ) from exc
        created = complaints.submit_complaint(
            platform,
            actor=principal,
            dataset_ref=dataset,
            right=chosen,
            description=description,
            fields=fields or [],
            attachments=_evidence(platform, principal, evidence),
        )
    except AppError as exc:
        values = {"right": right, "description": description, "fields": fields or []}
        return _complaint_form(
            request, dataset, error=error_message(request, exc), values=values, status_code=exc.status_code
        )
    return redirect(f"/complaints/{created.id}?submitted=1", request)


@twin_get(router, "/objections/mine")
def my_objections(request: Request) -> Response:
    principal = signed_in(request)
    platform = platform_of(request)
    _, objections = service.list_objections(platform, actor=principal, scope="mine", limit=200)
    _, mine = complaints.list_complaints(platform, actor=principal, scope="mine", limit=200)
    return render(request, "objections/mine.html", {"objections": objections, "complaints": mine})


def _objection_page(
    request: Request, objection_id: str, *, error: Any = None, status_code: int = 200
) -> Response:
    principal = signed_in(request)
    objection = service.get_objection(platform_of(request), actor=principal, objection_id=objection_id)
    data = {
        "objection": objection,
        "error": error,
        "submitted": request.query_params.get("submitted") == "1",
        "urgency": _urgency(objection.decision_clock),
    }
    return render(request, "objections/objection.html", data, status_code=status_code)


@twin_get(router, "/objections/{objection_id}")
def objection_page(request: Request, objection_id: str) -> Response:
    return _objection_page(request, objection_id)


@twin_get(router, "/complaints/{complaint_id}")
def complaint_page(request: Request, complaint_id: str) -> Response:
    return _complaint_page(request, complaint_id)


def _complaint_page(
    request: Request, complaint_id: str, *, error: Any = None, status_code: int = 200
) -> Response:
    principal = signed_in(request)
    platform = platform_of(request)
    complaint = complaints.get_complaint(platform, actor=principal, complaint_id=complaint_id)
    trace = None
    if request.query_params.get("trace") == "1" and rules.can_trace_leaks(principal, complaint.provider_id):
        trace = leak_trace.leak_trace(platform, actor=principal, complaint_id=complaint_id)
    data = {
        "complaint": complaint,
        "trace": trace,
        "error": error,
        "submitted": request.query_params.get("submitted") == "1",
        "urgency": _urgency(complaint.clock),
    }
    return render(request, "objections/complaint.html", data, status_code=status_code)


# ---------------------------------------------------------------------------------------------
# Handling: the center's queue, the provider's pages (one handler per step, all through services)
# ---------------------------------------------------------------------------------------------


def _queue(request: Request, scope: service.Scope, template: str) -> Response:
    principal = signed_in(request)
    platform = platform_of(request)
    total, items = service.list_objections(platform, actor=principal, scope=scope, open_only=True, limit=200)
    rows = [
        {
            **o.model_dump(),
            "mark_urgency": _urgency(o.mark_clock),
            "urgency": _urgency(o.decision_clock),
        }
        for o in sorted(
            items, key=lambda o: (o.decision_clock.due_at if o.decision_clock else o.mark_due_at, o.id)
        )
    ]
    data = {
        "total": total,
        "queue": rows,
        "overdue": sum(1 for r in rows if r["urgency"] == "overdue" or r["mark_urgency"] == "overdue"),
    }
    if scope == "provider":
        _, mine = complaints.list_complaints(
            platform, actor=principal, scope="provider", open_only=False, limit=200
        )
        data["complaints"] = [{**c.model_dump(), "urgency": _urgency(c.clock)} for c in mine]
    return render(request, template, data)


@twin_get(router, "/center/objections")
def center_queue(request: Request) -> Response:
    return _queue(request, "center", "objections/center_queue.html")


@twin_get(router, "/backoffice/objections")
def provider_queue(request: Request) -> Response:
    return _queue(request, "provider", "objections/provider_queue.html")


@twin_get(router, "/center/objections/{objection_id}")
def center_objection(request: Request, objection_id: str) -> Response:
    return _objection_page(request, objection_id)


@twin_get(router, "/backoffice/objections/{objection_id}")
def provider_objection(request: Request, objection_id: str) -> Response:
    return _objection_page(request, objection_id)


@post_form(router, "/objections/{objection_id}/act")
def act_on_objection(
    request: Request,
    objection_id: str,
    action: FormStr,
    note: FormStr = "",
    version: FormStr = "",
    change_order_id: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    """mark | forward | uphold | dismiss | correct, from the objection page."""
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    platform = platform_of(request)
    try:
        number = int(version) if version.strip() else None
        link = change_order_id.strip() or None
        if action == "mark":
            service.mark_objection(platform, actor=principal, objection_id=objection_id, note=note)
        elif action == "forward":
            service.forward_objection(platform, actor=principal, objection_id=objection_id, note=note)
        elif action in ("uphold", "dismiss"):
            service.decide_objection(
                platform,
                actor=principal,
                objection_id=objection_id,
                outcome=Outcome.UPHELD if action == "uphold" else Outcome.DISMISSED,
                result=note,
                version=number,
                change_order_id=link,
            )
        elif action == "correct":
            service.record_correction(
                platform,
                actor=principal,
                objection_id=objection_id,
                version=number,
                change_order_id=link,
                note=note,
            )
        else:
            raise ValidationFailed("unknown action", message_zh="未知操作", details=[{"field": "action"}])
    except ValueError:
        return _objection_page(
            request,
            objection_id,
            error={"message": "版本号须为数字 / version must be a number"},
            status_code=422,
        )
    except AppError as exc:
        return _objection_page(
            request, objection_id, error=error_message(request, exc), status_code=exc.status_code
        )
    return redirect(f"/objections/{objection_id}?done={action}", request)


@twin_get(router, "/backoffice/complaints/{complaint_id}")
def provider_complaint(request: Request, complaint_id: str) -> Response:
    return _complaint_page(request, complaint_id)


@post_form(router, "/complaints/{complaint_id}/act")
def act_on_complaint(
    request: Request,
    complaint_id: str,
    action: FormStr,
    note: FormStr = "",
    version: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    """suspend | withdraw | restore | reprocess, from the complaint page."""
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    platform = platform_of(request)
    try:
        if action == "suspend":
            complaints.suspend(platform, actor=principal, complaint_id=complaint_id, reason=note)
        else:
            try:
                decision = ComplaintDecision(action)
            except ValueError as exc:
                raise ValidationFailed(
                    "unknown action", message_zh="未知操作", details=[{"field": "action"}]
                ) from exc
            complaints.decide(
                platform,
                actor=principal,
                complaint_id=complaint_id,
                decision=decision,
                note=note,
                version=int(version) if version.strip().isdigit() else None,
            )
    except AppError as exc:
        return _complaint_page(
            request, complaint_id, error=error_message(request, exc), status_code=exc.status_code
        )
    return redirect(f"/complaints/{complaint_id}?done={action}", request)


@router.get("/complaints/{complaint_id}/leak-trace.csv", include_in_schema=False)
def leak_trace_download(request: Request, complaint_id: str) -> Response:
    principal = signed_in(request)
    result = leak_trace.leak_trace(platform_of(request), actor=principal, complaint_id=complaint_id)
    return Response(
        "\ufeff" + leak_trace.leak_trace_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="leak-trace-{result.dataset_code}.csv"'},
    )
