"""Public catalogue endpoints: search, guides, bundles, certificate lists, Q&A. No login."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.params.functions import Query

from govdesk.api.applications import bundles_router
from govdesk.api.errors import ApiErrorCode, ErrorOut, ValidationErrorOut, error_body
from govdesk.api.params import Code
from govdesk.catalog import selectors
from govdesk.catalog.models import Bundle
from govdesk.catalog.services import search_record
from govdesk.common.replica import allow_stale_reads

router = Router(tags=["catalogue"], auth=None)
certificates_router = Router(tags=["catalogue"], auth=None)
ask_router = Router(tags=["catalogue"], auth=None)


class ResultOut(Schema):
    code: str
    name: str
    standard_name: str
    department: str
    kind: str = Field(description="matter | bundle | certificate | forbidden")
    score: float
    why: list[str] = Field(description="Why it matched")


class SearchOut(Schema):
    query: str
    search_id: int | None
    results: list[ResultOut]


@router.get(
    "",
    response={200: SearchOut, 422: ValidationErrorOut},
    summary="Search matters, bundles and certificates",
)
def search(
    request: HttpRequest,
    q: str = "",
    limit: int = Query(10, description="At most this many results (1 to 500; others are clamped)"),
) -> dict[str, Any]:
    """Best first. Understands colloquial words, old names, pinyin and initials, Traditional
    characters and typos, and says why each result matched. An empty ``q`` lists all."""
    allow_stale_reads()
    limit = max(1, min(limit, 500))
    hits = selectors.search(q, limit=limit)
    search_id = None
    if q.strip():
        search_id = search_record(
            query=q.strip(), results=len(hits), top=hits[0].doc.key if hits else "", channel="api"
        )
    return {"query": q, "search_id": search_id, "results": [selectors.hit_json(h) for h in hits]}


@router.get(
    "/{code}",
    response={200: dict[str, Any], 404: ErrorOut, 422: ValidationErrorOut},
    summary="A matter's guide: before, during and after",
)
def guide(request: HttpRequest, code: Code) -> Status[dict[str, Any]]:
    allow_stale_reads()
    matter = selectors.matter_by_code(code)
    if matter is None:
        return Status(
            404, error_body(_("No published matter has this code."), ApiErrorCode.NOT_FOUND)
        )
    return Status(200, selectors.matter_guide(matter))


@bundles_router.get("", response=list[dict[str, Any]], auth=None, summary="All bundles")
def bundles(request: HttpRequest) -> list[dict[str, Any]]:
    allow_stale_reads()
    return [selectors.bundle_json(b) for b in Bundle.objects.filter(published=True)]


@bundles_router.get(
    "/{code}",
    response={200: dict[str, Any], 404: ErrorOut, 422: ValidationErrorOut},
    auth=None,
    summary="A bundle and its steps",
)
def bundle(request: HttpRequest, code: Code) -> Status[dict[str, Any]]:
    allow_stale_reads()
    found = Bundle.objects.filter(code=code, published=True).first()
    if found is None:
        return Status(404, error_body(_("No such bundle."), ApiErrorCode.NOT_FOUND))
    return Status(200, selectors.bundle_json(found))


@certificates_router.get(
    "", response=dict[str, Any], summary="What a community may certify, and what it must not"
)
def certificate_types(request: HttpRequest) -> dict[str, Any]:
    allow_stale_reads()
    return selectors.certificate_lists()


@ask_router.get("", response=dict[str, Any], summary="Ask in plain words (智能问答)")
def ask(request: HttpRequest, q: str = "") -> dict[str, Any]:
    allow_stale_reads()
    return selectors.ask(q)
