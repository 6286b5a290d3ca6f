"""CDS Hooks 2.0 under /cds-services: discovery, imaging-order and patient-view services, feedback.

One service id serves both `order-select` and `order-sign` (listed twice in discovery): the spec's
way of saying that the second call updates the guidance of the first. Data comes from the prefetch
or, for each missing key, from the EHR's FHIR server with the bearer token it gave; when neither is
possible the answer is 412.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
import orjson
from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import ValidationError
from starlette.responses import Response

from bonemet.access.trail import name_patient
from bonemet.api import InputError, Problem, problems_from
from bonemet.base.terms import TreatmentType
from bonemet.core import assess
from bonemet.core.plan_bone_orders import BoneOrder, check_order
from bonemet.kb import KnowledgeBase, Lang
from bonemet.model import Assessment
from bonemet.service import case_process, fhir_bridge
from bonemet.service.bone_order_card import bone_order_card
from bonemet.service.cards import CardContext, DraftOrder, answer_links, order_guidance, patient_cards
from bonemet.service.cds_models import (
    CdsRequest,
    CdsResponse,
    Discovery,
    Feedback,
    FeedbackReceipt,
    Service,
)
from bonemet.service.context import ServiceContext, service_context
from bonemet.service.errors import FHIR_JSON, ServiceError
from bonemet.service.fhir_bridge import MedicationOrder, PatientCase
from bonemet.service.plan_card import with_plan_card
from bonemet.service.texts import Texts
from bonemet.workload import IN_PROCESS_FROM_BYTES, decode_json, off_loop

router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"])
Ctx = Annotated[ServiceContext, Depends(service_context)]

ORDER_SERVICE = "bonemet-imaging-order"
PATIENT_SERVICE = "bonemet-imaging-review"
ORDER_HOOKS = ("order-select", "order-sign")
HOOKS = {ORDER_SERVICE: ORDER_HOOKS, PATIENT_SERVICE: ("patient-view",)}

def _observation_query() -> str:
    # Narrow query (the spec's advice): only the Observation codes the mapping reads, from the
    # value sets, instead of every observation of the patient.
    from bonemet.fhir import default_valuesets, observation_search_codes

    codes = ",".join(observation_search_codes(default_valuesets()))
    return "Observation?patient={{context.patientId}}&code=" + codes


# Everything the FHIR mapping reads about the patient. Only root-level primitive context fields
# are used as tokens (CDS Hooks 2.0 §Prefetch tokens).
PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "procedures": "Procedure?patient={{context.patientId}}",
    "imagingStudies": "ImagingStudy?patient={{context.patientId}}",
    "diagnosticReports": "DiagnosticReport?patient={{context.patientId}}",
    "observations": _observation_query(),
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    # Issue 26: mCODE records the chemotherapy given as MedicationAdministration.
    "medicationAdministrations": "MedicationAdministration?patient={{context.patientId}}",
}
# Keys added after EHRs were configured with the others: asked for in the discovery and fetched when
# a fhirServer is given; an EHR that sends none of them still gets cards, and the cards say what was
# not read (an assumption), rather than a 412 for a key it was never told about.
OPTIONAL_PREFETCH = frozenset({"medicationAdministrations"})
_MAX_PAGES = 20  # per prefetch key fetched from the FHIR server; beyond, the data is refused


def _services(ctx: ServiceContext, lang: Lang) -> list[Service]:
    t = ctx.texts
    out = [Service(hook=hook, id=ORDER_SERVICE, title=t("service_order_title", lang),
                   description=t("service_order_description", lang), prefetch=PREFETCH,
                   usageRequirements=t("service_usage", lang)) for hook in ORDER_HOOKS]
    out.append(Service(hook="patient-view", id=PATIENT_SERVICE, title=t("service_patient_title", lang),
                       description=t("service_patient_description", lang), prefetch=PREFETCH,
                       usageRequirements=t("service_usage", lang)))
    return out


@router.get("", response_model=Discovery, response_model_exclude_none=True)
async def discovery(ctx: Ctx, request: Request) -> Discovery:
    """CDS Hooks discovery: the services, their hooks and prefetch templates."""
    await ctx.authenticate(request)
    return Discovery(services=_services(ctx, ctx.lang(request)))


ServiceId = Annotated[str, PathParam(min_length=1, max_length=64, examples=[ORDER_SERVICE])]

_CALL_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["hook", "hookInstance", "context"],
               "properties": {"hook": {"type": "string"}, "hookInstance": {"type": "string"},
                              "fhirServer": {"type": "string"},
                              "fhirAuthorization": {"type": "object"},
                              "context": {"type": "object"}, "prefetch": {"type": "object"}}}}}}}


@router.post(
    "/{service_id}", response_model=CdsResponse, openapi_extra=_CALL_BODY,
    responses={200: {"model": CdsResponse}, 400: {"description": "Malformed request"},
               401: {"description": "Client JWT missing or refused"},
               404: {"description": "Unknown service"},
               412: {"description": "Required data is neither prefetched nor obtainable"},
               422: {"description": "Invalid request content"}},
)
async def call_service(request: Request, service_id: ServiceId) -> Response:
    """Call a CDS service (hook request in, cards and system actions out)."""
    # The hot route: the context is read directly rather than through a dependency (one
    # dependency resolution per call saved; the OpenAPI schema is the same, it has no parameters).
    ctx: ServiceContext = request.app.state.bonemet
    client = await ctx.authenticate(request)
    if service_id not in HOOKS:
        raise ServiceError(404, [Problem("service_id", f"no CDS service {service_id!r}; "
                                                       f"see GET /cds-services")], code="not-found")
    raw = await request.body()
    setting = CallSetting(service_id=service_id, lang=ctx.lang(request),
                          base_url=ctx.base_url(request), iss=client.iss if client else None,
                          dev_mode=ctx.settings.dev_mode,
                          fhir_servers=dict(ctx.settings.fhir_servers),
                          fhir_timeout_s=ctx.settings.fhir_timeout_s,
                          smart_launch=ctx.settings.smart is not None)
    trace = CallTrace()
    try:
        if len(raw) >= IN_PROCESS_FROM_BYTES:
            # A large prefetch is decoded, mapped and assessed in a process of its own: its
            # ~300,000 objects would make every full garbage collection of this process hold
            # the interpreter lock ~100 ms (issue 22 item 11). Only the cards come back.
            body, cards = await case_process.answer(
                request, "bonemet.service.cdshooks.call_in_process", (setting, raw),
                lambda named: vars(trace).update(vars(named[0])))
        else:
            # Decoding, validating, mapping and assessing run in worker threads (workload.py).
            answer = await answer_call(setting, raw, ctx.kb, ctx.texts, trace, off_loop)
            body, cards = answer.model_dump_json(exclude_none=True).encode(), len(answer.cards)
    finally:
        if trace.hook is not None:
            request.state.audit_hook = trace.hook
        name_patient(request, trace.patient_id)  # the audit row names the EHR's patient
    request.state.audit_cards = cards
    return Response(body, media_type="application/json")


@dataclass(frozen=True)
class CallSetting:
    """What a call's answer depends on besides its body (sent to the case process as is)."""

    service_id: str
    lang: Lang
    base_url: str
    iss: str | None  # the calling client's issuer (None in development mode)
    dev_mode: bool
    fhir_servers: Mapping[str, Sequence[str]]
    fhir_timeout_s: float
    smart_launch: bool = False  # cards offer a SMART link to bonemet (issue 26)


@dataclass
class CallTrace:
    """What the call named before its answer or its error: the audit row shows it."""

    hook: str | None = None
    patient_id: str | None = None


Work = Callable[..., Awaitable[Any]]  # runs `f(*args)`: off_loop, or in place in a case process


async def answer_call(setting: CallSetting, raw: bytes, kb: KnowledgeBase, texts: Texts,
                      trace: CallTrace, work: Work) -> CdsResponse:
    """The answer to a CDS call's body; ServiceError for an error answer. `trace` is filled as
    the hook and the patient become known, so that an error answer is audited as well."""
    hooks = HOOKS[setting.service_id]
    hook_request: CdsRequest = await work(_parse, raw)
    if hook_request.hook not in hooks:
        raise ServiceError(422, [Problem("hook", f"service {setting.service_id!r} answers "
                                                 f"{' / '.join(hooks)}, not {hook_request.hook!r}")])
    trace.hook = hook_request.hook
    patient_id = _context_string(hook_request, "patientId")
    if not _FHIR_ID.fullmatch(patient_id):
        raise ServiceError(422, [Problem("context.patientId", "not a FHIR id (letters, digits, "
                                                              "'-' and '.', at most 64)")],
                           fhir=True)
    trace.patient_id = patient_id
    _context_string(hook_request, "userId")
    _check_fhir_server(setting, hook_request)
    cc = CardContext(kb=kb, texts=texts, lang=setting.lang, base_url=setting.base_url,
                     hook_instance=hook_request.hookInstance, smart_launch=setting.smart_launch)
    if hook_request.hook in ORDER_HOOKS:
        orders, medications = _draft_orders(hook_request)
        if not orders and not medications:  # nothing of ours: silent, without fetching anything
            return CdsResponse(cards=[])
        patient = await _patient_case(setting, hook_request, patient_id, work)
        if not patient.in_scope:  # not a diagnosed lung cancer: the guideline says nothing here
            return CdsResponse(cards=[])
        answer = CdsResponse(cards=[])
        for index, medication in medications:
            # Issue 24: a zoledronic acid or denosumab order checked against the case (BT-06).
            check = await work(check_order, patient.case, kb, BoneOrder(
                agent=TreatmentType(medication.agent), dose_mg=medication.dose_mg,
                dose_problem=medication.dose_problem, dose_field=medication.dose_field,
                date=patient.case.context.as_of))
            answer.cards.append(bone_order_card(medication, check, cc,
                                                f"context.draftOrders.entry[{index}].resource"))
        if not orders:
            answer.cards = answer_links(answer.cards, cc)
            return answer
        assessment: Assessment = await work(assess, patient.case, kb)
        actions = []
        for order in orders:
            replacement = _replacement(order, assessment)
            assumed = fhir_bridge.order_assumption(order.resource)
            assumptions = (*patient.assumptions, assumed) if assumed else patient.assumptions
            guidance = order_guidance(order, assessment, cc, replacement, assumptions)
            answer.cards.extend(guidance.cards)
            actions.extend(guidance.system_actions)
        answer.systemActions = actions or None
        answer.cards = answer_links(answer.cards, cc)
        return answer
    patient = await _patient_case(setting, hook_request, patient_id, work)
    assessment = await work(assess, patient.case, kb)
    cards = with_plan_card(patient_cards(assessment, patient.case, cc, patient.contradictions),
                           assessment, cc)
    if not patient.in_scope:
        # Outside the scope only an urgent alert (SAFE-01) is sent, never a chapter card (HZ-AD-09).
        cards = [card for card in cards if card.indicator == "critical"]
    return CdsResponse(cards=answer_links(cards, cc))


def call_in_process(setting: CallSetting, raw: bytes,
                    name: Callable[[CallTrace], None]) -> tuple[bytes, int]:
    """A large call's cards JSON and their number, in a case process (case_process.py)."""
    from bonemet.kb import default_kb
    from bonemet.service.texts import default_texts

    trace = CallTrace()
    name(trace)  # filled as the hook and the patient become known: sent back even on an error

    async def in_place(work: Callable[..., Any], *args: Any) -> Any:
        return work(*args)

    answer = asyncio.run(answer_call(setting, raw, default_kb(), default_texts(), trace, in_place))
    return answer.model_dump_json(exclude_none=True).encode(), len(answer.cards)


_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # FHIR R4 id; .fullmatch


def _check_fhir_server(setting: CallSetting, req: CdsRequest) -> None:
    """Only a FHIR server registered for the calling client's issuer gets the bearer token.

    Otherwise any holder of a valid client JWT could make bonemet call an internal address (SSRF)
    or send an EHR's token elsewhere. Development mode (no client authentication) trusts any.
    """
    if req.fhirServer is None or setting.dev_mode:
        return
    server = req.fhirServer.rstrip("/")
    allowed = setting.fhir_servers.get((setting.iss or "").rstrip("/"), ())
    if not any(server == prefix or server.startswith(prefix + "/") for prefix in allowed):
        raise ServiceError(422, [Problem("fhirServer", "not a FHIR server registered for this "
                                                       "client (BONEMET_FHIR_SERVERS)")], fhir=True)


def _parse(raw: bytes) -> CdsRequest:
    # orjson then model_validate: 3-4x faster than pydantic's own JSON parser on a 40 KB prefetch.
    try:
        data = decode_json(raw)
    except ValueError as exc:
        raise ServiceError(400, [Problem("", f"malformed JSON: {exc}")], fhir=True) from None
    if not isinstance(data, dict):
        raise ServiceError(400, [Problem("", "the body must be a JSON object (a CDS Hooks "
                                             "request)")], fhir=True)
    try:
        return CdsRequest.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(422, problems_from(exc), fhir=True) from None


def _context_string(req: CdsRequest, name: str) -> str:
    value = req.context.get(name)
    if not isinstance(value, str) or not value:
        raise ServiceError(422, [Problem(f"context.{name}", "required string is missing or empty")])
    return value


def _draft_orders(req: CdsRequest) -> tuple[list[DraftOrder], list[tuple[int, MedicationOrder]]]:
    """The draft ServiceRequests for bone imaging and the draft MedicationRequests of zoledronic
    acid or denosumab, with their entry index (order-select: only the selected ones)."""
    bundle = req.context.get("draftOrders")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ServiceError(422, [Problem("context.draftOrders", "a FHIR Bundle of draft orders "
                                                                "is required")])
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise ServiceError(422, [Problem("context.draftOrders.entry", "must be an array")])
    selected: set[str] | None = None
    if req.hook == "order-select":
        selections = req.context.get("selections")
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise ServiceError(422, [Problem("context.selections",
                                             "an array of references is required for order-select")])
        selected = set(selections)
    orders = []
    medications: list[tuple[int, MedicationOrder]] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(resource, dict) or kind not in ("ServiceRequest", "MedicationRequest"):
            continue  # other orders: not ours
        if selected is not None and f"{kind}/{resource.get('id')}" not in selected:
            continue
        try:
            if kind == "MedicationRequest":
                medication = fhir_bridge.medication_order(resource)
                if medication is not None:
                    medications.append((index, medication))
                continue
            modality = fhir_bridge.ordered_modality(resource)
        except InputError as exc:
            raise ServiceError(422, [Problem(f"context.draftOrders.entry[{index}].resource."
                                             f"{p.field}".rstrip("."), p.message)
                                     for p in exc.problems]) from None
        if modality is not None:
            orders.append(DraftOrder(resource=resource, modality=modality))
    return orders, medications


def _replacement(order: DraftOrder, assessment: Assessment) -> dict[str, Any] | None:
    alternative = assessment.rating_of(order.modality).preferred_alternative
    if alternative is None:
        return None
    return fhir_bridge.replacement_order(order.resource, alternative)


# data: prefetch, else the FHIR server --------------------------------------------------------


async def _patient_case(setting: CallSetting, req: CdsRequest, patient_id: str,
                        work: Work) -> PatientCase:
    resources = await _gather(setting, req, patient_id)
    try:
        case: PatientCase = await work(fhir_bridge.case_from_resources, resources, dt.date.today())
        unread = _optional_unread(req)
        if unread:
            case = dataclasses.replace(case, assumptions=(*case.assumptions, unread))
        return case
    except InputError as exc:
        raise ServiceError(422, [Problem(f"prefetch{p.field and '.' + p.field}", p.message)
                                 for p in exc.problems], fhir=True) from None


def _optional_unread(req: CdsRequest) -> str | None:
    """The note of an optional prefetch key neither sent nor fetched (no fhirServer to query)."""
    prefetch = req.prefetch or {}
    if req.fhirServer is not None and req.fhirAuthorization is not None:
        return None
    absent = sorted(k for k in OPTIONAL_PREFETCH if k not in prefetch)
    if not absent:
        return None
    return (f"not prefetched and no FHIR server to query: {', '.join(absent)} (treatments recorded as "
            "administrations are not seen)")


async def _gather(setting: CallSetting, req: CdsRequest,
                  patient_id: str) -> list[dict[str, Any]]:
    prefetch = req.prefetch or {}
    missing = [key for key in PREFETCH if key not in prefetch]
    if req.fhirServer is None or req.fhirAuthorization is None:
        missing = [key for key in missing if key not in OPTIONAL_PREFETCH]  # said by _optional_unread
    resources: list[dict[str, Any]] = []
    # One 412 names every key that cannot be obtained (issue 14), whatever the reason of each.
    unobtainable: list[Problem] = []
    for key, value in prefetch.items():
        if key in PREFETCH:
            try:
                resources.extend(_resources_of(key, value))
            except ServiceError as exc:
                if exc.status != 412:
                    raise
                unobtainable.extend(exc.problems)
    if not missing:
        if unobtainable:
            raise ServiceError(412, unobtainable, fhir=True, code="incomplete")
        return resources
    if req.fhirServer is None or req.fhirAuthorization is None:
        raise ServiceError(412, unobtainable + [
            Problem(f"prefetch.{key}", "not prefetched, and no fhirServer with fhirAuthorization "
                                       "to query it") for key in missing], fhir=True, code="incomplete")
    token = req.fhirAuthorization.access_token
    async with httpx.AsyncClient(timeout=setting.fhir_timeout_s) as http:
        outcomes = await asyncio.gather(*(
            _fetch(http, req.fhirServer,
                   PREFETCH[key].replace("{{context.patientId}}", quote(patient_id, safe="")),
                   token, key)
            for key in missing
        ), return_exceptions=True)
    # Every key that could not be obtained is named in one 412, not only the first to fail.
    failed = [o for o in outcomes if isinstance(o, ServiceError) and o.status == 412]
    if failed or unobtainable:
        raise ServiceError(412, unobtainable + [p for o in failed for p in o.problems], fhir=True,
                           code="incomplete")
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    fetched = [o for o in outcomes if not isinstance(o, BaseException)]
    for key, value in zip(missing, fetched, strict=True):
        resources.extend(_resources_of(key, value))
    return resources


async def _fetch(http: httpx.AsyncClient, server: str, query: str, token: str,
                 key: str) -> dict[str, Any] | None:
    base = server.rstrip("/")
    url: str | None = f"{base}/{query}"
    headers = {"Authorization": f"Bearer {token}", "Accept": FHIR_JSON}
    pages: list[dict[str, Any]] = []
    while url is not None:
        if len(pages) >= _MAX_PAGES:
            raise _unobtainable(key, f"more than {_MAX_PAGES} pages of results")
        try:
            # Redirects are not followed: each URL that gets the token is checked first.
            response = await http.get(url, headers=headers, follow_redirects=False)
        except httpx.HTTPError:
            # One text for every network failure: the answer must not tell ports apart.
            raise _unobtainable(key, "FHIR server unreachable") from None
        if response.status_code == 404 and not pages and "?" not in query:
            return None  # a read of a resource that does not exist: satisfied, no data
        if response.status_code != 200:
            raise _unobtainable(key, f"FHIR server answered HTTP {response.status_code}")
        try:
            page = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise _unobtainable(key, "FHIR server answered with something other than JSON") from None
        if not isinstance(page, dict):
            raise _unobtainable(key, "FHIR server answered with something other than a resource")
        pages.append(page)
        links = page.get("link")
        found = next((link.get("url") for link in (links if isinstance(links, list) else [])
                      if isinstance(link, dict) and link.get("relation") == "next"), None)
        url = _same_server(base, found, key) if isinstance(found, str) else None
    if len(pages) == 1:
        return pages[0]
    entries = [e for p in pages for e in (p.get("entry") if isinstance(p.get("entry"), list) else [])]
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def _same_server(base: str, link: str, key: str) -> str:
    """A paging link, only when it stays on the FHIR server (it will carry the EHR's token)."""
    target = urljoin(base + "/", link)
    ours, theirs = urlsplit(base), urlsplit(target)
    if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc) or not (
            theirs.path == ours.path or theirs.path.startswith(ours.path.rstrip("/") + "/")):
        raise _unobtainable(key, "the FHIR server's next link leaves that server; not followed")
    return target


def _unobtainable(key: str, reason: str) -> ServiceError:
    return ServiceError(412, [Problem(f"prefetch.{key}", reason)], fhir=True, code="incomplete")


def _resources_of(key: str, value: Any) -> list[dict[str, Any]]:
    """Resources of one prefetch value: null (no data), a resource, or a Bundle of them."""
    if value is None:
        return []
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise ServiceError(422, [Problem(f"prefetch.{key}", "expected a FHIR resource, a Bundle "
                                                            "or null")], fhir=True)
    if value["resourceType"] == "OperationOutcome":
        raise _unobtainable(key, "the CDS client could not fetch it (OperationOutcome)")
    if value["resourceType"] != "Bundle":
        return [value]
    entries = value.get("entry")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ServiceError(422, [Problem(f"prefetch.{key}.entry", "must be an array")], fhir=True)
    out = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        search = entry.get("search")
        mode = search.get("mode") if isinstance(search, dict) else None
        if isinstance(resource, dict) and mode != "outcome":
            out.append(resource)
    return out


# feedback ------------------------------------------------------------------------------------


_FEEDBACK_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/Feedback"}}}}}


@router.post("/{service_id}/feedback", response_model=FeedbackReceipt, openapi_extra=_FEEDBACK_BODY,
             responses={404: {"description": "Unknown service"}})
async def feedback(ctx: Ctx, request: Request, service_id: ServiceId) -> FeedbackReceipt:
    """Store what the clinician did with the cards; resending the same feedback changes nothing."""
    await ctx.authenticate(request, f"/cds-services/{service_id}")
    if service_id not in HOOKS:
        raise ServiceError(404, [Problem("service_id", f"no CDS service {service_id!r}")],
                           code="not-found")
    raw = await request.body()
    try:
        body = Feedback.model_validate_json(raw or b"null")
    except ValidationError as exc:
        status = 400 if any(e["type"] == "json_invalid" for e in exc.errors()) else 422
        raise ServiceError(status, problems_from(exc), fhir=True) from None
    stored = 0
    for item in body.feedback:
        stored += ctx.store.add_feedback(service_id, item.model_dump(mode="json", exclude_none=True))
    return FeedbackReceipt(received=len(body.feedback), stored=stored,
                           duplicates=len(body.feedback) - stored)


def register_schemas(openapi: dict[str, Any]) -> None:
    """Publish the Feedback body schema (read by hand, so FastAPI does not list it by itself)."""
    schema = Feedback.model_json_schema(ref_template="#/components/schemas/{model}")
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["Feedback"] = schema
