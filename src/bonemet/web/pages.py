"""The clinician web app: HTML pages over the same API the CLI uses (FastAPI router + Jinja2).

Pages work without JavaScript (plain links and forms); the vendored htmx only makes the search and
the editor's add/remove-row buttons update in place. Nothing is fetched from outside the server:
no CDN, no web font, no analytics.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, quote

import orjson
import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from bonemet.access.trail import name_case
from bonemet.api import InputError, Problem, check_case_size, decode, load_case, parse_case, to_json
from bonemet.base import format_day
from bonemet.kb import default_kb
from bonemet.model import Case
from bonemet.model.board import is_case_id
from bonemet.report import summary as mdt
from bonemet.report.headline import build_headline, card_groups
from bonemet.report.labels import install_filters, labels, line_words, render_in
from bonemet.report.saved_checks import saved_checks
from bonemet.report.skeleton import describe, skeleton_map
from bonemet.web import editor_errors, form_rows, forms
from bonemet.web.multipart import MultipartError, upload
from bonemet.web.render_pool import render
from bonemet.workload import off_loop

# Drawing (matplotlib timeline, WeasyPrint summary) runs in processes of its own, never in the
# event loop, a few per user, stopped when the client hangs up (web/render_pool.py, issue 22).

router = APIRouter(include_in_schema=False)
LANG_COOKIE = "bonemet_lang"
_ONE_YEAR = 365 * 24 * 3600


def optional(module: str) -> ModuleType | None:
    """A capability that other parts of bonemet provide, when this installation has it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("bonemet.web", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(field_id=forms.field_id, shown=forms.shown, value_at=forms.value_at,
                       quote=quote)
    from bonemet.report.probability_view import lr_text, pct  # probability page and panel

    env.globals.update(pct=pct, lr=lr_text)
    return install_filters(env)


def warm_up() -> None:
    """Pay once, at start-up, what the first clinician would otherwise wait for: compiling the
    templates and reading the demo cases (a broken demo case also fails here, not on a page)."""
    for name in ("assessment.html", "headline.html", "editor.html", "cases.html", "kb.html",
                 "calculator.html", "probability.html", "probability_section.html", "check.html"):
        _env().get_template(name)
    demo_index()
    labels()


# ---- language ------------------------------------------------------------------------------


def lang_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("en", "fr"):
        return chosen
    ctx = getattr(request.app.state, "bonemet", None)
    if ctx is not None:
        return str(ctx.lang(request))
    accept = request.headers.get("accept-language", "")
    return "fr" if accept.lower().startswith("fr") else "en"


def _safe_next(target: str | None) -> str:
    # Only a path of this site: never an open redirect to another host.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/cases"
    return target


@router.get("/lang/{lang}")
async def set_lang(lang: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if lang in ("en", "fr"):
        response.set_cookie(LANG_COOKIE, lang, max_age=_ONE_YEAR, httponly=True, samesite="lax")
    return response


# ---- rendering -----------------------------------------------------------------------------


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    L = labels()
    kb = default_kb()
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")

    def t(key: str) -> str:
        return L(key, lang)

    def e(kind: str, value: Any) -> str:
        return L.enum(kind, value, lang)

    from bonemet.access.security import csrf_token, request_user
    from bonemet.report.probability_view import entry_words, lr_text, pct

    html = render_in(lang, lambda: _env().get_template(template).render(
        request=request, lang=lang, t=t, e=e, e_=e, kb=kb, here=here, path=request.url.path,
        csrf=csrf_token(request), user=request_user(request),
        other_lang="fr" if lang == "en" else "en", disclaimer=kb.disclaimer(lang),  # type: ignore[arg-type]
        htmx=request.headers.get("hx-request") == "true",
        pct=lambda value, digits=1: pct(value, digits, lang), lr=lambda value: lr_text(value, lang),
        line_words=lambda label: line_words(label, lang),
        entry_words=lambda entry_id: entry_words(kb.performance, entry_id, lang),  # type: ignore[arg-type]
        **context,
    ))
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = lang
    return response


# ---- cases: demo files and the store -------------------------------------------------------


@dataclass(frozen=True)
class CaseEntry:
    case_id: str
    source: str  # demo | saved
    case: Case
    version: int = 0  # in the store; 0: not stored yet (a demo case)


@lru_cache(maxsize=1)
def demo_index() -> dict[str, tuple[Path, Case]]:
    from bonemet.demo import demo_cases

    out: dict[str, tuple[Path, Case]] = {}
    for path in demo_cases():
        case = load_case(path)
        out[case.case_id] = (path, case)
    return out


def _store(request: Request) -> Any:
    return request.app.state.bonemet.store


def _entry(case_id: str, case: Case) -> CaseEntry:
    # `bonemet serve --load-demo` copies the demo cases into the store: unchanged, they stay "demo".
    demo = demo_index().get(case_id)
    return CaseEntry(case_id, "demo" if demo is not None and demo[1] == case else "saved", case)


def find_case(request: Request, case_id: str) -> CaseEntry | None:
    """A stored case first (it may be an edited demo case), then the bundled demo cases."""
    found = _store(request).get_case_version(case_id)
    if found is not None:
        entry = _entry(case_id, parse_case(found[0]))
        return CaseEntry(entry.case_id, entry.source, entry.case, found[1])
    demo = demo_index().get(case_id)
    return CaseEntry(case_id, "demo", demo[1]) if demo else None


def all_cases(request: Request) -> list[CaseEntry]:
    store = _store(request)
    found = {cid: _entry(cid, parse_case(doc))
             for cid in store.case_ids() if (doc := store.get_case(cid)) is not None}
    for cid, (_, case) in demo_index().items():
        found.setdefault(cid, CaseEntry(cid, "demo", case))
    return sorted(found.values(), key=lambda c: (c.source != "saved", c.case_id))


def _not_found(request: Request, what: str) -> HTMLResponse:
    return page(request, "not_found.html", status=404, what=what)


@router.get("/cases")
async def case_list(request: Request, q: str = "") -> Response:
    needle = q.strip().lower()
    rows = [c for c in all_cases(request) if needle in c.case_id.lower()]
    template = "cases_rows.html" if request.headers.get("hx-request") == "true" else "cases.html"
    return page(request, template, cases=rows, q=q, fhir=optional("bonemet.fhir") is not None)


# ---- assessment view -----------------------------------------------------------------------


@router.get("/cases/{case_id}")
async def case_view(request: Request, case_id: str) -> Response:
    entry = find_case(request, case_id)
    if entry is None:
        return _not_found(request, case_id)
    lang = lang_of(request)
    kb = default_kb()

    def prepare() -> tuple[Any, Any, dict[str, Any]]:
        a = mdt.assess_case(entry.case, kb)
        return a, skeleton_map(entry.case, lang), mdt.extras(entry.case, a, lang,
                                                              inline_timeline=False)

    a, skm, sections = await run_in_threadpool(prepare)
    return page(request, "assessment.html", entry=entry, case=entry.case, a=a, skm=skm,
                hl=build_headline(a, kb), groups=card_groups(a),
                lesion_text=lambda lesion: describe(lesion, lang), refs=mdt.references_of(a, kb),
                saved=request.query_params.get("saved", ""),
                checks=saved_checks(_store(request), case_id), **sections)


# Timelines drawn lately, by case (as JSON) and language: a page reloaded does not draw again.
_TIMELINES: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_TIMELINES_KEPT = 128


@router.get("/cases/{case_id}/timeline.svg")
async def timeline_figure(request: Request, case_id: str) -> Response:
    """The timeline as an image of its own, so that drawing it never delays the page."""
    entry = find_case(request, case_id)
    if entry is None or not mdt.has_timeline(entry.case):
        return Response(status_code=404)
    key = (entry.case.model_dump_json(), lang_of(request))
    body = _TIMELINES.get(key)
    if body is None:
        body = await render(request, "timeline_svg", entry.case, key[1])
        _TIMELINES[key] = body
        while len(_TIMELINES) > _TIMELINES_KEPT:
            _TIMELINES.popitem(last=False)
    return Response(body, media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=300", "Vary": "Cookie"})


@router.get("/cases/{case_id}/export")
async def export_case(request: Request, case_id: str, format: str = "yaml") -> Response:
    entry = find_case(request, case_id)
    if entry is None:
        return _not_found(request, case_id)
    doc = entry.case.model_dump(mode="json", exclude_defaults=True)
    doc = {"schema_version": entry.case.schema_version, **doc}
    if format == "json":
        body, media, ext = to_json(entry.case), "application/json", "json"
    else:
        body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).encode()
        media, ext = "application/yaml", "yaml"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{_filename(case_id)}.{ext}"'})


def _filename(case_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in case_id) or "case"


@router.get("/cases/{case_id}/summary")
async def summary_html(request: Request, case_id: str) -> Response:
    entry = find_case(request, case_id)
    if entry is None:
        return _not_found(request, case_id)
    html = await render(request, "summary_html", entry.case, lang_of(request), dt.date.today(),
                        web=True)
    return HTMLResponse(html)


@router.get("/cases/{case_id}/summary.pdf")
async def summary_pdf(request: Request, case_id: str) -> Response:
    entry = find_case(request, case_id)
    if entry is None:
        return _not_found(request, case_id)
    pdf = await render(request, "summary_pdf", entry.case, lang_of(request), dt.date.today())
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{_filename(case_id)}-mdt.pdf"'})


# ---- editor --------------------------------------------------------------------------------


def _blank() -> dict[str, Any]:
    # No phase by default: staging, treatment and follow-up ask different questions, so the user
    # chooses it (issue 13). The lung primary is shown selected, and can be changed.
    return {"schema_version": "1.0", "case_id": "", "cancer": {"primary_site": "lung"}}


def editor(request: Request, doc: dict[str, Any], problems: list[Problem], *, new: bool,
           source: str = "", status: int = 200, notice: str = "", version: int = 0,
           taken: str = "") -> HTMLResponse:
    problems = forms.place_problems(problems)
    by_field: dict[str, list[str]] = {}
    for p in problems:
        by_field.setdefault(p.field, []).append(p.message)
    names = _input_names(doc)
    general = [p for p in problems if p.field not in names]
    lang = lang_of(request)
    return page(request, "editor.html", status=status, doc=doc, sections=forms.SECTIONS,
                errors=by_field, problems=problems, general=general, new=new, source=source,
                case_link=_case_link(doc.get("case_id")),
                extra=orjson.dumps(forms.extra_fields(doc)).decode(), notice=notice, version=version,
                shows_block=forms.shows_block, row_rest=forms.row_rest, taken=taken,
                comparators=_comparators(doc, lang),
                screen_label=lambda path: editor_errors.screen_label(path, lang),
                **_score_label_functions(request))


def _case_link(case_id: Any) -> str:
    """The case's address for the "back to the case" link: none for a form whose id is missing
    or not an id (a forged or broken form is answered with its problems, never a 500)."""
    return quote(case_id, safe="") if is_case_id(case_id) else ""


def _comparators(doc: dict[str, Any], lang: str) -> dict[str, dict[str, str]]:
    """For each follow-up scan of a valid document: the scan the flare reader compared it with and
    its reading (the core's own reading, shown beside the exam row)."""
    case, problems = editor_errors.validate(doc, lang)
    if case is None or problems:
        return {}
    a = mdt.assess_case(case, default_kb())
    if a.follow_up is None:
        return {}
    L = labels()
    return {s.scan_id: {"comparator": s.comparator_id + (
                            f" ({format_day(s.comparator_date, lang)})" if s.comparator_date else ""),
                        "reading": L.enum("classification", s.classification, lang)}
            for s in a.follow_up.scans if s.comparator_id}


def _score_label_functions(request: Request) -> dict[str, Any]:
    field_label, option_label, section_title = forms.score_labels(default_kb(), lang_of(request))
    return {"field_label": field_label, "option_label": option_label, "section_title": section_title}


def _input_names(doc: dict[str, Any]) -> set[str]:
    """Every input name the editor draws for this document (to tell field errors from general ones)."""
    names = {"case_id"}

    def walk(prefix: str, section: forms.Section, node: Any) -> None:
        if section.repeated:
            for i, row in enumerate(node if isinstance(node, list) else []):
                base = f"{prefix}{section.key}[{i}]"
                names.update(f"{base}.{f.name}" for f in section.fields)
                for child in section.children:
                    walk(base + ".", child, row.get(child.key) if isinstance(row, dict) else None)
        else:
            base = f"{prefix}{section.key}"
            names.update(f"{base}.{f.name}" for f in section.fields)
            for child in section.children:
                walk(base + ".", child, node.get(child.key) if isinstance(node, dict) else None)

    for section in forms.SECTIONS:
        walk("", section, doc.get(section.key))
    return names


@router.get("/new")
async def new_case(request: Request) -> Response:
    return editor(request, _blank(), [], new=True)


@router.get("/cases/{case_id}/edit")
async def edit_case(request: Request, case_id: str) -> Response:
    entry = find_case(request, case_id)
    if entry is None:
        return _not_found(request, case_id)
    doc = entry.case.model_dump(mode="json", exclude_none=True)
    return editor(request, doc, [], new=False, source=entry.source, version=entry.version)


async def _form_pairs(request: Request) -> list[tuple[str, str]]:
    body = (await request.body()).decode("utf-8", errors="replace")
    return parse_qsl(body, keep_blank_values=True)


def _version_of(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else 0


_CONFLICT = {
    "edited": {"en": "someone else saved this case meanwhile (now version {v}); your changes were "
                     "NOT saved: open the case again and redo them",
               "fr": "quelqu'un d'autre a enregistré ce dossier entre-temps (version {v}) ; vos "
                     "modifications n'ont PAS été enregistrées : rouvrez le dossier et refaites-les"},
}


@router.post("/save")
async def save_case(request: Request) -> Response:
    from bonemet.access.security import check_csrf

    pairs = await _form_pairs(request)
    check_csrf(request, dict(p for p in pairs if p[0] == "_csrf").get("_csrf"))
    # Reading the form, validating the case and drawing the editor run in a worker thread: a form
    # of thousands of rows must not hold the event loop (issue 22).
    return await off_loop(_save, request, pairs)


def _save(request: Request, pairs: list[tuple[str, str]]) -> Response:
    from bonemet.access.security import request_user
    from bonemet.stores.files import StorageFull
    from bonemet.stores.store import VersionConflict

    controls = {k: v for k, v in pairs if k.startswith("_")}
    doc = forms.document_from_form(pairs)
    name_case(request, doc.get("case_id"))  # the audit row names the case (an id, whole, only)
    new = controls.get("_new") == "1"
    version = _version_of(controls.get("_version"))
    doc, oversized = editor_errors.within_bounds(doc)
    if oversized:
        return editor(request, doc, oversized, new=new, status=422, version=version)
    shape = form_rows.shape_problems(doc)
    if shape:
        return editor(request, doc, shape, new=new, status=422, version=version)
    try:
        if "_add" in controls:
            return editor(request, form_rows.add_row(doc, controls["_add"]), [], new=new, version=version)
        if "_remove" in controls:
            return editor(request, form_rows.remove_row(doc, controls["_remove"]), [], new=new,
                          version=version)
    except (KeyError, IndexError, ValueError, TypeError):
        return editor(request, doc, [Problem("", "that row cannot be added or removed here")],
                      new=new, status=422, version=version)
    if "_redraw" in controls:  # a lesion site changed: draw the score blocks that now apply
        return editor(request, doc, [], new=new, version=version)
    lang_now = lang_of(request)
    doc = forms.assign_ids(doc)  # exam and treatment ids are generated, never typed
    case, problems = editor_errors.validate(doc, lang_now)
    typed_id = doc.get("case_id")
    if (typed_id is not None and not is_case_id(typed_id)) or (
            case is not None and not is_case_id(case.case_id)):
        problems.append(editor_errors.case_id_problem(lang_now))  # said next to the id's input
    if new and is_case_id(typed_id) and find_case(request, typed_id):
        # Said with the other problems, not after them: the id belongs to another patient's case.
        return _taken(request, doc, typed_id, version, problems)
    if case is None or problems:
        return editor(request, doc, problems, new=new, status=422, version=version)
    try:
        check_case_size(case)
    except InputError as exc:
        return editor(request, doc, exc.problems, new=new, status=422, version=version)
    late = editor_errors.after_today(case, lang_now)  # the adapter's clock: no fact after today
    if late:
        return editor(request, doc, late, new=new, status=422, version=version)
    user = request_user(request)
    if new and find_case(request, case.case_id) is not None:
        # A create is not an update: a stored case or a bundled demo case already answers to this
        # id, and saving would replace (or shadow) that patient's case.
        return _taken(request, doc, case.case_id, version)
    if not new and _unchanged(request, case, version):
        # Opened and saved as it was: no new version, no history row (issue 25, item 7).
        return RedirectResponse(f"/cases/{quote(case.case_id, safe='')}?saved=unchanged",
                                status_code=303)  # said as such on the case page (review 25 F16)
    try:
        _store(request).put_case(case.case_id, case.model_dump(mode="json", exclude_defaults=True),
                                 user=user.id if user else None,
                                 expected_version=0 if new else version)
    except VersionConflict as exc:
        if new:  # stored by someone else since the check above
            return _taken(request, doc, case.case_id, version)
        lang = "fr" if lang_of(request) == "fr" else "en"
        message = _CONFLICT["edited"][lang].format(v=exc.current)
        return editor(request, doc, [Problem("", message)], new=new, status=409, version=version)
    except StorageFull as exc:  # the form comes back as typed, with the reason (issue 22)
        return editor(request, doc, [Problem("", exc.message(lang_of(request)))], new=new,
                      status=507, version=version)
    return RedirectResponse(f"/cases/{quote(case.case_id, safe='')}?saved=1", status_code=303)


def _unchanged(request: Request, case: Case, version: int) -> bool:
    """The case as it is already kept, at the version the editor was opened on."""
    found = find_case(request, case.case_id)
    return found is not None and found.version == version and found.case == case


def _taken(request: Request, doc: dict[str, Any], case_id: str, version: int,
           others: list[Problem] | None = None) -> HTMLResponse:
    """409: the message in the user's language, and a link to the case that holds the id."""
    message = labels()("case_id_taken", lang_of(request))
    out = editor(request, doc, [Problem("case_id", message), *(others or [])], new=True, status=409,
                 version=version, taken=case_id)
    out.headers["Link"] = f'</cases/{quote(case_id, safe="")}>; rel="related"'
    return out


@router.post("/import")
async def import_case(request: Request) -> Response:
    """A case file (YAML/JSON) or a FHIR Bundle into the editor, to review before saving."""
    return await off_loop(_import, request, await request.body())


def _import(request: Request, body: bytes) -> Response:
    """Read the upload, decode and validate it, draw the editor (in a worker thread)."""
    from bonemet.access.security import check_csrf

    try:
        filename, raw, fields = upload(request.headers.get("content-type", ""), body)
        check_csrf(request, fields.get("_csrf"))
        fmt = "json" if filename.lower().endswith(".json") or raw.lstrip()[:1] == b"{" else "yaml"
        data = decode(raw, fmt)
        if isinstance(data, dict) and "resourceType" in data:
            doc = _from_fhir(data)
        else:
            if not isinstance(data, dict):
                raise InputError([Problem("", "a case must be a mapping (JSON object)")])
            doc = data
        doc, oversized = editor_errors.within_bounds(doc)
        if oversized:
            raise InputError(oversized)
    except MultipartError as exc:
        return editor(request, _blank(), [Problem("file", str(exc))], new=True, status=400)
    except InputError as exc:
        return editor(request, _blank(), exc.problems, new=True, status=422)
    # Validate now so the problems of the imported file show beside its fields straight away.
    _, problems = editor_errors.validate(doc, lang_of(request))
    name_case(request, doc.get("case_id"))
    return editor(request, doc, problems, new=True, status=422 if problems else 200,
                  notice=filename)


def _from_fhir(bundle: dict[str, Any]) -> dict[str, Any]:
    fhir = optional("bonemet.fhir")
    if fhir is None or not hasattr(fhir, "case_from_fhir"):
        raise InputError([Problem("resourceType", labels()("fhir_unavailable", "en"))])
    if bundle.get("resourceType") != "Bundle":
        found = bundle.get("resourceType")
        raise InputError([Problem("resourceType", f"expected 'Bundle' or a bonemet case, got {found!r}")])
    result = fhir.case_from_fhir(bundle)
    return dict(check_case_size(result.case).model_dump(mode="json", exclude_none=True))


# ---- calculators ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Calculator:
    """A calculator page, provided by a capability module (scores, probability) when present."""

    slug: str
    title: Callable[[str], str]
    module: ModuleType


def calculators() -> list[Calculator]:
    found: list[Calculator] = []
    web_calcs = optional("bonemet.web.calculators")
    if web_calcs is not None:
        found.extend(web_calcs.available())
    probability = optional("bonemet.web.probability")  # docs/probability.md
    if probability is not None:
        found.extend(probability.available())
    return found


@router.get("/calculators")
async def calculator_index(request: Request) -> Response:
    return page(request, "calculators.html", calcs=calculators())


@router.api_route("/calculators/{slug}", methods=["GET", "POST"])
async def calculator_page(request: Request, slug: str) -> Response:
    calc = next((c for c in calculators() if c.slug == slug), None)
    if calc is None:
        return _not_found(request, slug)
    values = dict(await _form_pairs(request)) if request.method == "POST" else {}
    submitted = request.method == "POST"
    if not submitted and request.query_params and getattr(calc.module, "ACCEPTS_QUERY", False):
        values, submitted = dict(request.query_params), True
    started = time.perf_counter()
    view = calc.module.view(slug, values if submitted else None, lang_of(request))
    # A calculator with a page of its own (probability) answers htmx with the page; htmx picks its part.
    template = getattr(calc.module, "TEMPLATE", None) or (
        "calculator_result.html" if request.headers.get("hx-request") == "true" else "calculator.html")
    return page(request, template, calc=calc, view=view, values=values,
                elapsed_ms=(time.perf_counter() - started) * 1000)
