"""Public portal pages (PLT-1, PLT-3, PLT-4): home, search, dataset, providers, policies and news."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from publicdata.catalog import history, model
from publicdata.catalog import service as catalog
from publicdata.catalog.schemas import DatasetOut
from publicdata.identity import service as identity
from publicdata.platform import Platform
from publicdata.search import index as search_index
from publicdata.web import content, datastore_view
from publicdata.web.panels import dataset_panels
from publicdata.web.render import platform_of, principal_of, render, twin_get

router = APIRouter()

PAGE_SIZE = 10
ALL = 100_000  # the whole visible catalog, for facet counts until the search index supplies them
SORTS = ("relevance", "updated", "published", "name", "downloads")


def _pair_labels(labels: dict[Any, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    return {k.value: v for k, v in labels.items()}


DOMAINS = _pair_labels(model.DOMAIN_LABELS)
OPEN_CLASSES = _pair_labels(model.OPEN_CLASS_LABELS)
FREQUENCIES = _pair_labels(model.FREQUENCY_LABELS)
CONDITIONS = _pair_labels(model.CONDITION_LABELS)
NOT_OPEN_REASONS = _pair_labels(model.NOT_OPEN_REASON_LABELS)


def labels() -> dict[str, Any]:
    return {
        "domains": DOMAINS,
        "open_classes": OPEN_CLASSES,
        "frequencies": FREQUENCIES,
        "conditions": CONDITIONS,
        "not_open_reasons": NOT_OPEN_REASONS,
    }


def download_counts(platform: Platform, dataset_ids: list[str] | None = None) -> dict[str, int]:
    """Downloads per dataset id, counted from the audit log (the search index's definition)."""
    with platform.db.reading() as session:
        counts = search_index.downloads(dataset_ids)
        return {
            dataset_id: int(n) for dataset_id, n in session.execute(select(counts.c.dataset_id, counts.c.n))
        }


def total_downloads(platform: Platform) -> int:
    with platform.db.reading() as session:
        counts = search_index.downloads()
        return int(session.scalar(select(func.coalesce(func.sum(counts.c.n), 0))) or 0)


FACET_NAMES = ("domain", "provider", "open_class", "format", "update_frequency", "area_code")


def search_catalog(platform: Platform, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """Search through the catalog service. With the search index it answers one page with facet
    counts and highlighted names/summaries; a plain `(total, items)` answer (no index) is paged and
    faceted here over all matching entries."""
    actor = principal_of(request)
    page = max(int(params.get("page") or 1), 1)
    sort: Any = params.get("sort") or ("relevance" if params.get("q") else "updated")
    filters: dict[str, Any] = {
        "q": params.get("q") or None,
        "domain": params.get("domain") or None,
        "provider": params.get("provider") or None,
        "open_class": params.get("open_class") or None,
        "fmt": params.get("format") or None,
        "frequency": params.get("update_frequency") or None,
        "area_code": params.get("area_code") or None,
    }
    offset = (page - 1) * PAGE_SIZE
    result: Any = catalog.list_datasets(
        platform, actor=actor, sort=sort, offset=offset, limit=PAGE_SIZE, facets=FACET_NAMES, **filters
    )
    # With facets asked for, the catalog always answers through the search index.
    total, items, facets = result.total, list(result.items), result.facets
    return {
        "query": {k: v for k, v in params.items() if v},
        "sort": sort,
        "sorts": SORTS,
        "total": total,
        "page": page,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "page_size": PAGE_SIZE,
        "items": items,
        "facets": facets,
    }


@twin_get(router, "/")
def home(request: Request) -> Response:
    """Platform totals, domain tiles, newest and most-downloaded entries: two faceted searches of the
    index (counts come from facets, not from loading the catalog)."""
    platform = platform_of(request)
    actor = principal_of(request)
    published: Any = catalog.list_datasets(
        platform,
        actor=actor,
        state="published",
        sort="newest",
        limit=6,
        facets=("domain", "open_class", "provider"),
    )
    popular: Any = catalog.list_datasets(platform, actor=actor, state="published", sort="downloads", limit=6)
    facets = published.facets or {}
    by_domain = {f.value: f.count for f in facets.get("domain", [])}
    by_class = {f.value: f.count for f in facets.get("open_class", [])}
    providers_total, _ = identity.list_organizations(platform, limit=1)
    most_used = [d for d in popular.items if d.download_count > 0]
    _, news = content.list_pages(platform, actor=actor, kind="news", limit=3)
    data = {
        "totals": {
            "datasets": published.total,
            "providers": len(facets.get("provider", [])),
            "organizations": providers_total,
            "domains": len(by_domain),
            "downloads": total_downloads(platform),
            "unconditional": by_class.get(model.OpenClass.UNCONDITIONAL.value, 0),
            "conditional": by_class.get(model.OpenClass.CONDITIONAL.value, 0),
        },
        "domains": [
            {"value": value, "label": zh, "label_en": en, "count": by_domain.get(value, 0)}
            for value, (zh, en) in DOMAINS.items()
        ],
        "newest": list(published.items),
        "most_used": most_used,
        "download_counts": {d.id: d.download_count for d in most_used},
        "news": news,
    }
    return render(request, "home.html", {**data, "labels": labels()})


@twin_get(router, "/datasets")
def search(
    request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    domain: model.Domain | None = None,
    provider: Annotated[str | None, Query(max_length=60)] = None,
    open_class: model.OpenClass | None = None,
    format: model.DataFormat | None = None,
    update_frequency: model.UpdateFrequency | None = None,
    area_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    sort: Annotated[str | None, Query(pattern="^(relevance|updated|published|name|downloads)$")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    params = {
        "q": (q or "").strip(),
        "domain": domain.value if domain else "",
        "provider": provider or "",
        "open_class": open_class.value if open_class else "",
        "format": format.value if format else "",
        "update_frequency": update_frequency.value if update_frequency else "",
        "area_code": area_code or "",
        "sort": sort or "",
        "page": page,
    }
    data = search_catalog(platform_of(request), request, params)
    return render(request, "search.html", {**data, "labels": labels()})


def api_examples(request: Request, dataset: DatasetOut) -> dict[str, str]:
    base = str(request.base_url).rstrip("/")
    url = f"{base}/api/v1/datasets/{dataset.code}"
    files = [r for r in dataset.resources if r.kind != "api" and r.sha256]
    file_url = f"{url}/resources/{files[0].id}/file" if files else None
    curl = f'curl -H "Authorization: Bearer $PUBLICDATA_TOKEN" {url}'
    python = (
        "import os\n\nimport httpx\n\n"
        'TOKEN = os.environ["PUBLICDATA_TOKEN"]\n'
        f'resp = httpx.get("{url}",\n'
        '                 headers={"Authorization": f"Bearer {TOKEN}"})\n'
        "dataset = resp.json()\n"
        'print(dataset["name"], [f["name"] for f in dataset["fields"]])'
    )
    examples = {"url": url, "curl": curl, "python": python}
    if file_url:
        examples["download_curl"] = f"curl -L -o {dataset.code}.csv {file_url}"
    return examples


@twin_get(router, "/datasets/{code}")
def dataset_page(request: Request, code: str) -> Response:
    platform = platform_of(request)
    dataset = catalog.get_dataset(platform, actor=principal_of(request), ref=code)
    downloadable = dataset.open_class is model.OpenClass.UNCONDITIONAL
    resources = [
        {
            **r.model_dump(),
            "download_url": r.url
            if r.kind == "api"
            else (f"/api/v1/datasets/{dataset.code}/resources/{r.id}/file" if downloadable else None),
        }
        for r in dataset.resources
    ]
    actor = principal_of(request)
    rows = datastore_view.preview(platform, actor=actor, code=dataset.code)
    data = {
        "dataset": dataset,
        "resources": resources,
        "preview": rows,
        "data_downloads": datastore_view.downloads(dataset.code) if rows else [],
        "data_versions": [
            {k: v[k] for k in ("version", "current", "row_count", "created_at", "source_name")}
            for v in (datastore_view.versions(platform, actor=actor, code=dataset.code) if rows else [])
        ],
        "downloads": download_counts(platform, [dataset.id]).get(dataset.id, 0),
        "api": api_examples(request, dataset),
        "provider_url": f"/providers/{dataset.provider.code}",
        "entry_history": history.get_entry_history(platform, actor=actor, ref=dataset.id),
    }
    panels = dataset_panels(platform, actor, dataset)
    data["panels"] = {p.name: p.data for p in panels}
    return render(request, "dataset.html", {**data, "labels": labels()}, view={"panel_list": panels})


@twin_get(router, "/providers")
def providers(request: Request) -> Response:
    platform = platform_of(request)
    result: Any = catalog.list_datasets(
        platform, actor=principal_of(request), state="published", limit=1, facets=("provider",)
    )
    published = {f.value: f.count for f in (result.facets or {}).get("provider", [])}
    _, orgs = identity.list_organizations(platform, limit=1000)
    listed = [
        {**o.model_dump(exclude={"dataset_count"}), "published": published.get(o.code, 0)}
        for o in orgs
        if published.get(o.code, 0) or o.kind.value in ("department", "district", "utility")
    ]
    listed.sort(key=lambda o: (-o["published"], o["code"]))
    return render(request, "providers.html", {"providers": listed})


@twin_get(router, "/providers/{code}")
def provider_page(request: Request, code: str) -> Response:
    platform = platform_of(request)
    org = identity.get_organization(platform, ref=code)
    total, items = catalog.list_datasets(platform, actor=principal_of(request), provider=org.code, limit=ALL)
    return render(
        request,
        "provider.html",
        {
            "provider": org.model_dump(exclude={"dataset_count"}),
            "total": total,
            "datasets": items,
            "labels": labels(),
        },
    )


def _content_list(request: Request, kind: content.PageKind, page: int) -> Response:
    platform = platform_of(request)
    total, items = content.list_pages(
        platform, actor=principal_of(request), kind=kind, offset=(page - 1) * 20, limit=20
    )
    return render(request, "content_list.html", {"kind": kind, "total": total, "page": page, "items": items})


@twin_get(router, "/policies")
def policies(request: Request, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    return _content_list(request, "policy", page)


@twin_get(router, "/news")
def news(request: Request, page: Annotated[int, Query(ge=1)] = 1) -> Response:
    return _content_list(request, "news", page)


@twin_get(router, "/pages/{page_id}")
def content_page(request: Request, page_id: str) -> Response:
    page = content.get_page(platform_of(request), actor=principal_of(request), page_id=page_id)
    if request.url.path.endswith(".json"):
        return render(request, "content_page.html", {"page": page})
    return render(
        request, "content_page.html", {"page": page, "body_html": content.render_markdown(page.body)}
    )
