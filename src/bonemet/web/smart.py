"""SMART on FHIR launch pages: the EHR opens bonemet on a patient (docs/smart.md).

Routes (public to the access gate: the EHR's authorization server authenticates the clinician):

* `GET /smart/launch?iss=…&launch=…`: EHR launch; `GET /smart/standalone?iss=…`: standalone launch
  (the EHR's authorization server asks for the patient);
* `GET /smart/callback`: the authorization server's answer;
* `GET /smart/patient`: the launched patient's assessment, built from the EHR's FHIR record by the
  one mapping (bonemet.fhir.to_case), with its mapping report. Nothing is stored;
* `POST /smart/save`: stores the case, with the clinician (`fhirUser`) as author.

Every failure is a page saying what happened and what to do, with its HTTP status, never a trace.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from bonemet.access.config import Settings
from bonemet.access.security import CsrfError, check_csrf
from bonemet.access.smart import LaunchedPatient, LaunchVault, SmartError, allowed_issuer, discover, finish
from bonemet.access.smart_fhir import read_record
from bonemet.access.trail import name_case, name_patient
from bonemet.api import InputError

router = APIRouter(prefix="/smart", include_in_schema=False)
_STATE_KEY = "smart_state"
_HANDLE_KEY = "smart_launch"

# The pages' own words (EN, FR); French with a non-breaking space before « : ; ? ! ».
TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Opened from the EHR", "fr": "Ouvert depuis le dossier patient"},
    "error_title": {"en": "The launch from the EHR did not work",
                    "fr": "L’ouverture depuis le dossier patient a échoué"},
    "again": {"en": "Close this window and open bonemet again from the patient's chart.",
              "fr": "Fermez cette fenêtre et rouvrez bonemet depuis le dossier du patient."},
    "not_saved": {"en": "Nothing is stored until you press Save.",
                  "fr": "Rien n’est enregistré tant que vous n’appuyez pas sur Enregistrer."},
    "save": {"en": "Save as a bonemet case", "fr": "Enregistrer comme cas bonemet"},
    "saved": {"en": "Saved as case {case} by {user}.", "fr": "Enregistré comme cas {case} par {user}."},
    "open_case": {"en": "Open the stored case", "fr": "Ouvrir le cas enregistré"},
    "exists": {"en": "A case {case} is already stored: nothing was replaced.",
               "fr": "Un cas {case} est déjà enregistré\u00a0: rien n’a été remplacé."},
    "mapping": {"en": "What was read from the EHR", "fr": "Ce qui a été lu dans le dossier"},
    "read": {"en": "Resources read", "fr": "Ressources lues"},
    "not_used": {"en": "Not used, and why", "fr": "Non utilisé, et pourquoi"},
    "assumed": {"en": "Inferred (check these)", "fr": "Déduit (à vérifier)"},
    "none": {"en": "none", "fr": "aucun"},
    "patient": {"en": "Patient", "fr": "Patient"},
    "clinician": {"en": "Clinician", "fr": "Clinicien"},
    "no_launch": {"en": "No launch from the EHR in this browser session.",
                  "fr": "Aucune ouverture depuis le dossier patient dans cette session du navigateur."},
    "out_of_scope": {
        "en": "This patient's record holds no lung cancer ({scope}): bonemet's guideline covers "
              "bone metastases of lung cancer only, so no assessment is shown.",
        "fr": "Le dossier de ce patient ne contient pas de cancer du poumon ({scope})\u00a0: le "
              "référentiel de bonemet ne couvre que les métastases osseuses du cancer du poumon, "
              "aucune évaluation n’est donc affichée."},
    "scope_no_cancer": {"en": "no cancer recorded", "fr": "aucun cancer enregistré"},
    "scope_other_primary": {"en": "another primary cancer", "fr": "un autre cancer primitif"},
    "scope_suspected_lung": {"en": "a suspected lung cancer only",
                             "fr": "un cancer du poumon seulement suspecté"},
    "scope_site_unknown": {"en": "a cancer whose organ is not named",
                           "fr": "un cancer dont l’organe n’est pas nommé"},
    "standalone": {"en": "Choose the EHR to open a patient from",
                   "fr": "Choisissez le dossier patient à ouvrir"},
}


# What each failure means for the clinician, in their language; the technical detail (English,
# from bonemet.access.smart) follows on English pages only, for the administrator.
REASONS: dict[str, dict[str, str]] = {
    "not-configured": {"en": "Opening bonemet from an EHR is not set up on this server.",
                       "fr": "L’ouverture de bonemet depuis un dossier patient n’est pas configurée "
                             "sur ce serveur."},
    "no-launch": {"en": "The EHR's link names no launch.",
                  "fr": "Le lien du dossier patient ne désigne aucune ouverture."},
    "no-iss": {"en": "The EHR's link names no FHIR server.",
               "fr": "Le lien du dossier patient ne désigne aucun serveur FHIR."},
    "iss-refused": {"en": "This EHR is not one bonemet is registered with: nothing was asked of it.",
                    "fr": "Ce dossier patient n’est pas de ceux auprès desquels bonemet est "
                          "enregistré : rien ne lui a été demandé."},
    "discovery": {"en": "The EHR's sign-in settings cannot be used.",
                  "fr": "Les réglages de connexion du dossier patient sont inutilisables."},
    "state": {"en": "This answer does not belong to a launch begun in this browser, or it was "
                    "already used.",
              "fr": "Cette réponse n’appartient pas à une ouverture commencée dans ce navigateur, "
                    "ou elle a déjà servi."},
    "mix-up": {"en": "The answer came from another sign-in server than the one asked.",
               "fr": "La réponse vient d’un autre serveur de connexion que celui interrogé."},
    "denied": {"en": "Access was not granted in the EHR.",
               "fr": "L’accès n’a pas été accordé dans le dossier patient."},
    "no-code": {"en": "The EHR's answer is incomplete.",
                "fr": "La réponse du dossier patient est incomplète."},
    "invalid-grant": {"en": "The EHR refused the sign-in code (expired or already used).",
                      "fr": "Le dossier patient a refusé le code de connexion (expiré ou déjà "
                            "utilisé)."},
    "token": {"en": "The EHR did not give access.", "fr": "Le dossier patient n’a pas donné accès."},
    "no-patient": {"en": "The EHR named no patient: open bonemet from a patient's chart.",
                   "fr": "Le dossier patient n’a désigné aucun patient : ouvrez bonemet depuis "
                         "le dossier d’un patient."},
    "no-fhir-user": {"en": "The EHR did not say who you are: bonemet cannot tell whether you are a "
                           "clinician. Nothing was read.",
                     "fr": "Le dossier patient n’a pas dit qui vous êtes\u00a0: bonemet ne peut pas savoir "
                           "si vous êtes soignant. Rien n’a été lu."},
    "not-clinician": {"en": "bonemet is a tool for clinicians: the EHR signed you in as a patient or a "
                            "relative, so nothing was read and nothing is shown.",
                      "fr": "bonemet est un outil pour les soignants\u00a0: le dossier patient vous a "
                            "connecté comme patient ou proche, donc rien n’a été lu ni affiché."},
    "id-token": {"en": "The EHR's identity answer could not be verified.",
                 "fr": "L’identité renvoyée par le dossier patient n’a pas pu être vérifiée."},
    "fhir-down": {"en": "The EHR's FHIR server cannot be read now: nothing was read, try again "
                        "later.",
                  "fr": "Le serveur FHIR du dossier patient ne peut pas être lu maintenant : "
                        "rien n’a été lu, réessayez plus tard."},
    "fhir-refused": {"en": "The EHR's FHIR server refused part of the record: nothing is shown.",
                     "fr": "Le serveur FHIR du dossier patient a refusé une partie du "
                           "dossier : rien n’est affiché."},
    "fhir": {"en": "The EHR's FHIR server answered something bonemet cannot read: nothing is shown.",
             "fr": "Le serveur FHIR du dossier patient a répondu d’une façon que bonemet ne sait "
                   "pas lire : rien n’est affiché."},
    "unreadable": {"en": "The EHR's record could not be read into a case: nothing is shown.",
                   "fr": "Le dossier n’a pas pu être lu en un cas : rien n’est affiché."},
    "csrf": {"en": "The form's security token is missing or stale: reload the page.",
             "fr": "Le jeton de sécurité du formulaire manque ou a expiré : rechargez la page."},
    "role": {"en": "Launches from the EHR may look but not save here.",
             "fr": "Les ouvertures depuis le dossier patient permettent ici de consulter, pas "
                   "d’enregistrer."},
}


def _t(request: Request, key: str) -> str:
    from bonemet.web.pages import lang_of

    return TEXTS[key]["fr" if lang_of(request) == "fr" else "en"]


def _vault(request: Request) -> LaunchVault:
    vault: LaunchVault = request.app.state.smart_vault
    return vault


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.bonemet.settings
    return settings


def _error(request: Request, message: str, status: int, reason: str) -> HTMLResponse:
    from bonemet.web.pages import lang_of, page

    lang = "fr" if lang_of(request) == "fr" else "en"
    said = REASONS.get(reason)
    detail = message if said is not None and lang == "en" else None
    return page(request, "smart_error.html", status=status, reason=reason, st=_t,
                message=said[lang] if said is not None else message, detail=detail)


def _not_configured(request: Request) -> HTMLResponse:
    return _error(request, "SMART launch is not configured on this server (BONEMET_SMART_ISSUERS)",
                  404, "not-configured")


@router.get("/jwks")
async def jwks(request: Request) -> Response:
    """bonemet's public key for private_key_jwt (the EHR registers this URL); empty without a key."""
    from fastapi.responses import JSONResponse

    from bonemet.access.smart import public_jwks

    smart = _settings(request).smart
    if smart is None or smart.client_key is None:
        return JSONResponse({"keys": []}, status_code=404)
    return JSONResponse(public_jwks(smart))


@router.get("/launch")
async def ehr_launch(request: Request, iss: str | None = None, launch: str | None = None) -> Response:
    if not launch:
        return _error(request, "the EHR launch names no launch context (launch is missing)", 400,
                      "no-launch")
    return await _begin(request, iss, launch[:512])


@router.get("/standalone")
async def standalone_launch(request: Request, iss: str | None = None) -> Response:
    smart = _settings(request).smart
    if smart is None:
        return _not_configured(request)
    if iss is None and len(smart.issuers) > 1:
        from bonemet.web.pages import page

        return page(request, "smart_error.html", status=200, reason="choose", st=_t,
                    message=_t(request, "standalone"), issuers=smart.issuers)
    return await _begin(request, iss if iss is not None else smart.issuers[0], None)


async def _begin(request: Request, iss: str | None, launch: str | None) -> Response:
    settings = _settings(request)
    if settings.smart is None:
        return _not_configured(request)
    try:
        fhir_base = allowed_issuer(settings.smart, iss)  # before any request leaves
        config = await discover(settings, fhir_base)
    except SmartError as exc:
        return _error(request, exc.message, exc.status, exc.reason)
    base = settings.public_base_url or str(request.base_url).rstrip("/")
    state, url = _vault(request).begin(settings.smart, config, base + "/smart/callback", launch)
    _vault(request).drop(request.session.pop(_HANDLE_KEY, None))  # a new launch ends the last
    request.session[_STATE_KEY] = state
    return RedirectResponse(url, status_code=302)


@router.get("/callback")
async def callback(request: Request) -> Response:
    settings = _settings(request)
    if settings.smart is None:
        return _not_configured(request)
    query = request.query_params
    vault = _vault(request)
    try:
        pending = vault.take(request.session.pop(_STATE_KEY, None), query.get("state"))
        answered_by = query.get("iss")  # RFC 9207: which authorization server answered
        if answered_by and pending.config.issuer and answered_by != pending.config.issuer:
            raise SmartError("the answer came from another authorization server than the one "
                             "asked (mix-up): launch again", 400, reason="mix-up")
        if query.get("error"):
            raise SmartError(f"the authorization server answered error="
                             f"{_plain(query.get('error'))}", 403, reason="denied")
        code = query.get("code")
        if not code:
            raise SmartError("the EHR's answer holds no authorization code", 400, reason="no-code")
        launched = await finish(settings, pending, code)
        request.scope.setdefault("state", {})["login_user"] = launched.user[:128]
        name_patient(request, launched.patient)
        resources = await read_record(settings, launched)
        launched.read = tuple(f"{r.get('resourceType')}/{r.get('id')}" for r in resources)
        launched.data = await run_in_threadpool(_map, resources)
    except SmartError as exc:
        return _error(request, exc.message, exc.status, exc.reason)
    except InputError as exc:
        lines = "; ".join(f"{p.field}: {p.message}" for p in exc.problems[:5])
        return _error(request, lines, 422, "unreadable")
    if not launched.data.in_scope:
        scope = _t(request, f"scope_{launched.data.scope}")
        return _error(request, _t(request, "out_of_scope").format(scope=scope), 422,
                      "out-of-scope")
    request.session[_HANDLE_KEY] = vault.keep(launched)
    return RedirectResponse("/smart/patient", status_code=303)


def _map(resources: list[dict[str, Any]]) -> Any:
    from bonemet.fhir.to_case import case_from_fhir

    return case_from_fhir(resources)


def _plain(value: str | None) -> str:
    return "".join(c for c in (value or "") if c.isalnum() or c in "_-. ")[:80] or "unknown"


def _launched(request: Request) -> LaunchedPatient | None:
    found = _vault(request).get(request.session.get(_HANDLE_KEY))
    return found if found is not None and found.data is not None else None


@router.get("/patient")
async def launched_patient(request: Request) -> Response:
    launched = _launched(request)
    if launched is None:
        return _error(request, _t(request, "no_launch"), 401, "no-session")
    request.scope.setdefault("state", {})["login_user"] = launched.user[:128]
    name_patient(request, launched.patient)
    return await _assessment(request, launched)


async def _assessment(request: Request, launched: LaunchedPatient, status: int = 200,
                      **extra: Any) -> HTMLResponse:
    from bonemet.kb import default_kb
    from bonemet.report import summary as mdt
    from bonemet.report.headline import build_headline, card_groups
    from bonemet.web.pages import page

    kb = default_kb()
    result = launched.data
    a = await run_in_threadpool(mdt.assess_case, result.case, kb)
    read = Counter(item.split("/", 1)[0] for item in launched.read)
    return page(request, "smart.html", status=status, case=result.case, a=a, hl=build_headline(a, kb),
                groups=card_groups(a), refs=mdt.references_of(a, kb), launched=launched,
                result=result, read=sorted(read.items()), st=_t, **extra)


@router.post("/save")
async def save(request: Request) -> Response:
    from bonemet.stores.files import StorageFull
    from bonemet.stores.store import VersionConflict

    form = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    try:
        check_csrf(request, form.get("_csrf"))
    except CsrfError as exc:
        return _error(request, str(exc), 403, "csrf")
    launched = _launched(request)
    if launched is None:
        return _error(request, _t(request, "no_launch"), 401, "no-session")
    settings = _settings(request)
    assert settings.smart is not None
    request.scope.setdefault("state", {})["login_user"] = launched.user[:128]
    if settings.smart.role not in ("editor", "administrator"):
        return _error(request, f"this needs the editor role; SMART launches get "
                               f"{settings.smart.role} here", 403, "role")
    case = launched.data.case
    name_case(request, case.case_id)
    store = request.app.state.bonemet.store
    try:
        store.put_case(case.case_id, case.model_dump(mode="json", exclude_defaults=True),
                       user=launched.user[:128], expected_version=0)
    except VersionConflict:
        return await _assessment(request, launched, 409, status_note=_t(request, "exists").format(
            case=case.case_id), stored=case.case_id)
    except StorageFull as exc:
        from bonemet.web.pages import lang_of

        return _error(request, exc.message(lang_of(request)), 507, "storage-full")
    return await _assessment(request, launched, status_note=_t(request, "saved").format(
        case=case.case_id, user=launched.user_name or launched.user), stored=case.case_id,
        case_link="/cases/" + quote(case.case_id, safe=""))
