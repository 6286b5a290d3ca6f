"""Plain JSON API: assess a case (or a FHIR Bundle), browse the knowledge base, health and version."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel
from starlette.responses import Response

from bonemet._version import __version__
from bonemet.access.security import request_user
from bonemet.access.trail import name_case
from bonemet.api import (
    InputError,
    Problem,
    check_case_size,
    check_dates_not_future,
    check_document_size,
    parse_case,
)
from bonemet.base.provenance import KnowledgeBaseInfo
from bonemet.core import assess
from bonemet.kb import KnowledgeBase, default_kb
from bonemet.model import CASE_SCHEMA_VERSION, Assessment, Case
from bonemet.model.assessment import ASSESSMENT_SCHEMA_VERSION, RatedModality
from bonemet.model.board import CASE_ID_PATTERN, CASE_ID_RULE, is_case_id
from bonemet.model.schema import json_schema
from bonemet.report.quick_check import RequestCheck
from bonemet.service import case_process
from bonemet.service.context import ServiceContext, service_context
from bonemet.service.errors import FHIR_JSON, ServiceError, decode_json_object
from bonemet.stores.store import SCHEMA_VERSION, VersionConflict
from bonemet.workload import IN_PROCESS_FROM_BYTES, off_loop

router = APIRouter()
Ctx = Annotated[ServiceContext, Depends(service_context)]
JSON = "application/json"

# A FHIR Bundle of one patient's record: thousands of resources at most (observations included).
MAX_BUNDLE_ENTRIES = 5000

_EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "demo" / "cases"


def _example_case() -> dict[str, Any]:
    from bonemet.api import read_document

    doc: dict[str, Any] = read_document(_EXAMPLES_DIR / "03-staging-pet-mid-thigh.yaml")
    return doc


class Index(BaseModel):
    name: str
    version: str
    disclaimer: str
    links: dict[str, str]


class Health(BaseModel):
    status: Literal["ok"]


class Version(BaseModel):
    name: str
    version: str
    knowledge_base: KnowledgeBaseInfo
    case_schema: str
    assessment_schema: str
    store_schema: int


class MappedCase(BaseModel):
    case: Case
    unmapped: list[dict[str, Any]]


class StoredCases(BaseModel):
    case_ids: list[str]


@router.get("/", response_model=Index, tags=["meta"])
async def index(ctx: Ctx, request: Request) -> Index:
    """Where things are. The web app will take this path over."""
    return Index(
        name="bonemet", version=__version__,
        disclaimer=ctx.kb.disclaimer(ctx.lang(request)),
        links={"openapi": "/openapi.json", "health": "/health",
               "version": "/version", "assess": "/api/assess", "kb": "/api/kb/rules",
               "cds_hooks_discovery": "/cds-services"},
    )


@router.get("/health", response_model=Health, tags=["meta"])
async def health() -> Health:
    """Liveness: answers as soon as the process serves requests (no store access)."""
    return Health(status="ok")


@router.get("/version", response_model=Version, tags=["meta"])
async def version(ctx: Ctx) -> Version:
    return Version(name="bonemet", version=__version__, knowledge_base=ctx.kb.info,
                   case_schema=CASE_SCHEMA_VERSION, assessment_schema=ASSESSMENT_SCHEMA_VERSION,
                   store_schema=SCHEMA_VERSION)


_ASSESS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {
                "schema": {"oneOf": [
                    {"$ref": "#/components/schemas/Case"},
                    {"type": "object", "title": "FHIR R4 Bundle",
                     "required": ["resourceType"],
                     "properties": {"resourceType": {"const": "Bundle"},
                                    "entry": {"type": "array", "items": {"type": "object"}}}},
                ]},
                "examples": {"case": {"summary": "Staging, PET skull base to mid-thigh",
                                      "value": None}},
            },
            FHIR_JSON: {"schema": {"type": "object", "title": "FHIR R4 Bundle"}},
        },
    },
}


@router.post(
    "/api/assess", tags=["assessment"], openapi_extra=_ASSESS_BODY,
    responses={200: {"model": Assessment,
                     "description": "The assessment (JSON), or with format=fhir a FHIR "
                                    "GuidanceResponse. For a Bundle input, the header "
                                    "X-Bonemet-Unmapped counts the items that could not be "
                                    "mapped (list them with POST /api/fhir/case)."},
               400: {"description": "Malformed JSON or not an object"},
               422: {"description": "Invalid case or Bundle; every problem is named"}},
)
async def assess_route(
    ctx: Ctx, request: Request,
    format: Annotated[Literal["json", "fhir"], Query(description="json or fhir")] = "json",
    strict: Annotated[bool, Query(description="Validate a Bundle with the FHIR R4B models")] = False,
) -> Response:
    """Assess one case given as bonemet case JSON or as a FHIR R4 Bundle."""
    raw = await request.body()
    if len(raw) >= IN_PROCESS_FROM_BYTES:
        # A large body in a process of its own: its objects would slow every garbage collection
        # of the server process (issue 22 item 11); only the answer comes back.
        body, media_type, headers = await case_process.answer(
            request, "bonemet.service.api.assess_body", (raw, format, strict), named(request))
    else:
        body, media_type, headers = await off_loop(assess_body, raw, format, strict,
                                                   functools.partial(name_case, request), ctx.kb)
    return Response(body, media_type=media_type, headers=headers)


def named(request: Request) -> Callable[[tuple[Any, ...]], None]:
    """Names, for the audit row, the case ids a case process named."""
    return lambda case_ids: [name_case(request, case_id) for case_id in case_ids]


def assess_body(raw: bytes, format: str, strict: bool, name: Callable[[object], None],
                kb: KnowledgeBase | None = None) -> tuple[bytes, str, dict[str, str]]:
    """Decode, validate, assess and serialise (in a worker thread, or a case process: there
    with the default knowledge base, the app's): body, media type, headers. `name` gets the case
    ids to audit, even of a case refused."""
    data = decode_json_object(raw, bounds=_named_bounds(name))
    headers: dict[str, str] = {}
    if data.get("resourceType") is not None:
        case, unmapped = _case_from_bundle(data, strict, fhir=format == "fhir")
        headers["X-Bonemet-Unmapped"] = str(len(unmapped))
    else:
        name(data.get("case_id"))  # audited even when the case is refused
        case = parse_case(data)
    name(case.case_id)
    _received(case)
    result = assess(case, kb or default_kb())
    if format == "fhir":
        from bonemet.fhir import assessment_to_guidance

        return orjson.dumps(assessment_to_guidance(result, case)), FHIR_JSON, headers
    return result.model_dump_json().encode(), JSON, headers


def _received(case: Case) -> Case:
    """A case arriving over HTTP: bounded in size, and no fact dated after today (the service's
    clock; the core has none): a typo such as 2027 must not move the decision date (issue 21)."""
    return check_dates_not_future(check_case_size(case), dt.date.today())


def _received_body(request: Request, raw: bytes) -> Case:
    """A case body decoded, validated and checked (in a worker thread)."""
    data = decode_json_object(raw, bounds=_case_bounds(request))
    return _received(parse_case(data))


def _case_bounds(request: Request) -> Callable[[dict[str, Any]], None]:
    return _named_bounds(functools.partial(name_case, request))


def _named_bounds(name: Callable[[object], None]) -> Callable[[dict[str, Any]], None]:
    """A case's bounds on a decoded body (a FHIR Bundle has its own, in _case_from_bundle); the
    case is named for the audit first, even when it is refused."""
    def check(data: dict[str, Any]) -> None:
        if "resourceType" not in data:
            name(data.get("case_id"))
            check_document_size(data)
    return check


def _case_from_bundle(data: dict[str, Any], strict: bool, fhir: bool) -> tuple[Case, list[Any]]:
    if data.get("resourceType") != "Bundle":
        raise ServiceError(422, [Problem("resourceType", f"expected 'Bundle' or a bonemet case, "
                                                         f"got {data.get('resourceType')!r}")],
                           fhir=fhir)
    from bonemet.fhir import case_from_fhir

    entries = data.get("entry")
    if isinstance(entries, list) and len(entries) > MAX_BUNDLE_ENTRIES:
        # Bounded before the mapping reads one of them (the case's own bounds come after it).
        raise ServiceError(422, [Problem("entry", f"{len(entries)} entries; at most "
                                                  f"{MAX_BUNDLE_ENTRIES} per Bundle")], fhir=fhir)
    try:
        result = case_from_fhir(data, strict=strict)
    except InputError as exc:
        raise ServiceError(422, exc.problems, fhir=fhir) from None
    check_case_size(result.case)
    return result.case, list(result.unmapped)


@router.post("/api/fhir/case", response_model=MappedCase, tags=["fhir"])
async def fhir_case(ctx: Ctx, request: Request,
                    strict: Annotated[bool, Query()] = False) -> MappedCase:
    """Map a FHIR R4 Bundle to a bonemet case and list what could not be mapped, and why."""
    raw = await request.body()
    if len(raw) >= IN_PROCESS_FROM_BYTES:  # a large Bundle in a process of its own (as assess)
        answer: MappedCase = await case_process.answer(
            request, "bonemet.service.api.mapped_body", (raw, strict), named(request))
        return answer
    return await off_loop(mapped_body, raw, strict, functools.partial(name_case, request))


def mapped_body(raw: bytes, strict: bool, name: Callable[[object], None]) -> MappedCase:
    """The Bundle mapped (in a worker thread or a case process); `name` gets the case id."""
    case, unmapped = _case_from_bundle(decode_json_object(raw), strict, fhir=False)
    name(case.case_id)
    return MappedCase(case=case, unmapped=[_plain(u) for u in unmapped])


def _plain(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    if hasattr(item, "model_dump"):
        return dict(item.model_dump(mode="json"))
    if hasattr(item, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(item)
    return {"item": str(item)}


@router.get("/api/schema/{name}", tags=["meta"])
async def schema(name: Literal["case", "assessment"]) -> dict[str, Any]:
    """The published JSON Schema of the case (input) or the assessment (output)."""
    return json_schema(name)


# stored cases (patient data: authenticated outside development mode) ---------------------


# Ids that are safe in a path and a file name; an id with '/' could be stored but never opened.
CaseId = Annotated[str, PathParam(pattern=CASE_ID_PATTERN,  # pydantic's regex: `$` ends the text
                                  examples=["doc-1"])]


@router.get("/api/cases", response_model=StoredCases, tags=["store"])
async def list_cases(ctx: Ctx, request: Request) -> StoredCases:
    await ctx.authenticate(request)
    return StoredCases(case_ids=ctx.store.case_ids())


@router.get("/api/cases/{case_id}", response_model=Case, tags=["store"],
            responses={404: {"description": "No such case in the store"}})
async def get_case(ctx: Ctx, request: Request, case_id: CaseId) -> Response:
    """A stored case; its ETag (the stored version) goes back in If-Match to replace it."""
    await ctx.authenticate(request)
    found = ctx.store.get_case_version(case_id)
    if found is None:
        raise ServiceError(404, [Problem("case_id", f"no case {case_id!r} in the store")],
                           code="not-found")
    case = parse_case(found[0])
    return Response(case.model_dump_json().encode(), media_type=JSON,
                    headers={"ETag": f'"{found[1]}"'})


def _if_match(request: Request) -> int | None:
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    if raw.strip() == "*":
        return None
    tag = raw.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 9:
        raise ServiceError(412, [Problem("If-Match", "expected the ETag of GET /api/cases/{id} "
                                                     "(a version number in quotes)")])
    return int(tag)


@router.put("/api/cases/{case_id}", response_model=Case, tags=["store"],
            responses={409: {"description": "Someone saved the case since the If-Match version"},
                       412: {"description": "Malformed If-Match"}},
            openapi_extra={"requestBody": {"required": True, "content": {JSON: {
                "schema": {"$ref": "#/components/schemas/Case"}}}}})
async def put_case(ctx: Ctx, request: Request, case_id: CaseId) -> Response:
    """Store (or replace) a case; its `case_id` must match the path.

    With `If-Match: "<version>"` (the ETag of GET) the write happens only if nobody saved the case
    since; `If-None-Match: *` creates it only if it does not exist. Earlier versions are kept.
    """
    client = await ctx.authenticate(request)
    expected = _if_match(request)
    if request.headers.get("if-none-match", "").strip() == "*":
        expected = 0
    case = await off_loop(_received_body, request, await request.body())
    if case.case_id != case_id:
        raise ServiceError(422, [Problem("case_id", f"{case.case_id!r} differs from the path "
                                                    f"({case_id!r})")])
    user = request_user(request)
    who = user.id if user else (f"client:{client.iss}" if client else None)
    try:
        version = ctx.store.put_case(case.case_id, case.model_dump(mode="json", exclude_defaults=True),
                                     user=who, expected_version=expected)
    except VersionConflict as exc:
        raise ServiceError(409, [Problem("If-Match", f"the case is at version {exc.current}, not "
                                                     f"{exc.expected}: someone saved it meanwhile; "
                                                     f"GET it again and redo the change")],
                           code="conflict") from None
    return Response(case.model_dump_json().encode(), media_type=JSON,
                    headers={"ETag": f'"{version}"'})


@router.post("/api/cases", response_model=Case, status_code=201, tags=["store"],
             responses={409: {"description": "A case with this id is already stored"}},
             openapi_extra={"requestBody": {"required": True, "content": {JSON: {
                 "schema": {"$ref": "#/components/schemas/Case"}}}}})
async def create_case(ctx: Ctx, request: Request) -> Response:
    """Create a case. A create is not an update: an id already stored is refused (409, with a
    link to that case), never replaced; replace with PUT and the case's ETag in If-Match."""
    client = await ctx.authenticate(request)
    case = await off_loop(_received_body, request, await request.body())
    if not is_case_id(case.case_id):
        raise ServiceError(422, [Problem("case_id", CASE_ID_RULE)])
    user = request_user(request)
    who = user.id if user else (f"client:{client.iss}" if client else None)
    location = f"/api/cases/{case.case_id}"
    from bonemet.stores.board_store import find_case

    if ctx.store.get_case(case.case_id) is None and find_case(ctx.store, case.case_id) is not None:
        # A bundled demo case (shown by the web app): a stored copy would shadow it.
        raise ServiceError(409, [Problem("case_id", f"{case.case_id!r} is a demo case's id: "
                                                    f"choose another id")], code="conflict")
    try:
        version = ctx.store.put_case(case.case_id, case.model_dump(mode="json", exclude_defaults=True),
                                     user=who, expected_version=0)
    except VersionConflict as exc:
        raise ServiceError(409, [Problem("case_id", f"a case with the id {case.case_id!r} is "
                                                    f"already stored (version {exc.current}): "
                                                    f"choose another id, or GET {location} to "
                                                    f"update it with PUT and If-Match")],
                           code="conflict", headers={"Location": location}) from None
    return Response(case.model_dump_json().encode(), status_code=201, media_type=JSON,
                    headers={"ETag": f'"{version}"', "Location": location})


AuditCase = Annotated[str | None, Query(
    max_length=160, pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]{0,127}|Patient/[A-Za-z0-9.-]{1,64})$",
    description="Only the rows of this case (a case id, or Patient/<id> for a CDS Hooks patient)")]
AuditUser = Annotated[str | None, Query(min_length=1, max_length=300,
                                        description="Only the rows of this user (or client:<iss>)")]


@router.get("/api/audit", tags=["store"], responses={403: {"description": "Not an administrator"}})
async def audit_log(ctx: Ctx, case_id: AuditCase = None, user: AuditUser = None,
                    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """The audit rows, newest first (administrators only): who (user, or client:<iss> for an
    EHR), when, which case, which route and method, and the answer's status; never other patient
    data. "Who viewed patient X": `?case_id=X`. Pages: `next` repeats the query with `before`."""
    rows = ctx.store.audit_rows(limit, case_id=case_id, user=user, before=before)
    more = len(rows) == limit and rows[-1]["id"] > 1
    query = {k: v for k, v in (("case_id", case_id), ("user", user)) if v is not None}
    from urllib.parse import urlencode

    nxt = f"/api/audit?{urlencode({**query, 'limit': limit, 'before': rows[-1]['id']})}" if more else None
    return {"rows": rows, "next": nxt}


@router.post("/api/cases/{case_id}/assessments", tags=["store"],
             responses={200: {"model": Assessment}, 404: {"description": "No such case"}})
async def assess_stored(ctx: Ctx, request: Request, case_id: CaseId) -> Response:
    """Assess a stored case with the current knowledge base and keep the assessment."""
    await ctx.authenticate(request)
    doc = _stored_doc(ctx, case_id)
    body = await off_loop(lambda: assess(parse_case(doc), ctx.kb).model_dump_json().encode())
    ctx.store.add_assessment(case_id, ctx.kb.version, __version__, body)
    return Response(body, media_type=JSON)


def _stored_doc(ctx: ServiceContext, case_id: str) -> dict[str, Any]:
    doc = ctx.store.get_case(case_id)
    if doc is None:
        raise ServiceError(404, [Problem("case_id", f"no case {case_id!r} in the store")],
                           code="not-found")
    return dict(doc)


def _stored_case(ctx: ServiceContext, case_id: str) -> Case:
    return parse_case(_stored_doc(ctx, case_id))


def fill_examples(openapi: dict[str, Any]) -> None:
    """Put a real demo case in the OpenAPI example of /api/assess (read once, at schema build)."""
    content = openapi["paths"]["/api/assess"]["post"]["requestBody"]["content"][JSON]
    content["examples"]["case"]["value"] = _example_case()


# ---- quick request check (issue 13): one requested exam against the case's assessment ----------


class CheckContext(BaseModel):
    """The minimal context of a request when there is no case (same fields as the web form)."""

    phase: Literal["staging", "on_treatment", "follow_up"]
    question: str | None = None
    primary_site: str | None = None
    histology: str | None = None
    as_of: str | None = None
    exams: list[dict[str, Any]] = []
    # The symptoms SAFE-01 reads (issue 21): the quick check must raise the cord-compression alert.
    new_bone_pain: bool | None = None
    pain_sites: list[str] = []
    neurological_deficit: bool | None = None


class CheckBody(BaseModel):
    exam: RatedModality
    case_id: str | None = None
    case: dict[str, Any] | None = None
    context: CheckContext | None = None


@router.post("/api/check", tags=["assessment"], response_model=RequestCheck,
             responses={404: {"description": "No such case"},
                        422: {"description": "Invalid request or case; every problem is named"}})
async def check_route(ctx: Ctx, request: Request) -> Response:
    """Quick request check (ACR Select style): give the requested exam and a stored case id, a
    case, or the minimal context; get the rating, the reason (rule, statements, references), the
    better alternative and the effective dose where the chapter gives one."""
    body = await off_loop(_check_body, request, await request.body())
    stored = None
    if body.case_id is not None:
        stored = await off_loop(_stored_or_demo, ctx, body.case_id)
    return await off_loop(_check_answer, request, ctx, body, stored)


def _check_body(request: Request, raw_body: bytes) -> CheckBody:
    from pydantic import ValidationError

    from bonemet.api import problems_from

    raw = decode_json_object(raw_body)
    name_case(request, raw.get("case_id"))  # audited even when the request is refused
    try:
        body = CheckBody.model_validate(raw)
    except ValidationError as exc:
        raise ServiceError(422, problems_from(exc)) from None
    given = [x for x in (body.case_id, body.case, body.context) if x is not None]
    if len(given) != 1:
        raise ServiceError(422, [Problem("case_id", "give exactly one of case_id, case or context")])
    return body


def _check_answer(request: Request, ctx: ServiceContext, body: CheckBody,
                  stored: Case | None) -> Response:
    """Validate and assess the quick check's case (in a worker thread)."""
    from bonemet.report.quick_check import check_request, minimal_case

    if stored is not None:
        case = stored
    elif body.case is not None:
        name_case(request, body.case.get("case_id"))
        case = parse_case(body.case)
    else:
        assert body.context is not None
        c = body.context
        case = parse_case(minimal_case(phase=c.phase, question=c.question,
                                       primary_site=c.primary_site, histology=c.histology,
                                       as_of=c.as_of, exams=c.exams,
                                       new_bone_pain=c.new_bone_pain, pain_sites=c.pain_sites,
                                       neurological_deficit=c.neurological_deficit))
    _received(case)
    result = check_request(assess(case, ctx.kb), body.exam, ctx.kb)
    return Response(result.model_dump_json().encode(), media_type=JSON)


def _stored_or_demo(ctx: ServiceContext, case_id: str) -> Case:
    if ctx.store.get_case(case_id) is not None:
        return _stored_case(ctx, case_id)
    from bonemet.api import load_case
    from bonemet.demo import demo_cases

    for path in demo_cases():
        case = load_case(path)
        if case.case_id == case_id:
            return case
    raise ServiceError(404, [Problem("case_id", f"no case {case_id!r} in the store or the demo cases")],
                       code="not-found")
