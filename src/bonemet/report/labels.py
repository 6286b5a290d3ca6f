"""Interface words (web app, MDT summary, CLI text) in English and French, read from the gettext
catalogues `bonemet/locale/{en,fr}/LC_MESSAGES/bonemet.po` with Babel.

The msgids are symbolic keys ("nav_cases"); the values of a vocabulary carry the msgctxt
"enum:<kind>" ("enum:rating" + "usually_appropriate"). Both catalogues are refused whole at load
time when an entry lacks a language, is empty or is fuzzy, like the knowledge base: a page must
never show half a translation. `scripts/i18n.py` imports keys written in the former labels.yaml
format and checks the catalogues.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from bonemet.base import format_day, format_number, french_typography
from bonemet.base.text import Text
from bonemet.errors import KnowledgeBaseError, LabelsError
from bonemet.kb import default_kb, templates

LANGS = ("en", "fr")
DOMAIN = "bonemet"
ENUM_CONTEXT = "enum:"


class Labels:
    def __init__(self, ui: dict[str, Text], enums: dict[str, dict[str, Text]]) -> None:
        self.ui = ui
        self.enums = enums

    def __call__(self, key: str, lang: str) -> str:
        try:
            return self.ui[key](lang)  # type: ignore[arg-type]
        except KeyError:
            raise KeyError(f"no interface label {key!r}") from None

    def enum(self, kind: str, value: Any, lang: str) -> str:
        """The label of a vocabulary value; the code itself when there is none (never fails)."""
        if value is None:
            return ""
        code = value.value if isinstance(value, Enum) else str(value)
        text = self.enums.get(kind, {}).get(code)
        return text(lang) if text is not None else code  # type: ignore[arg-type]


def _text(where: str, raw: Any, problems: list[str]) -> Text | None:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) and raw[k] for k in LANGS):
        problems.append(f"{where}: needs non-empty 'en' and 'fr'")
        return None
    return Text(en=raw["en"], fr=raw["fr"])


def parse_labels(data: Any) -> Labels:
    """Labels from the former labels.yaml layout ({ui: {key: {en, fr}}, enums: {kind: {code: ...}}});
    kept for scripts/i18n.py, which imports that layout into the catalogues."""
    problems: list[str] = []
    ui: dict[str, Text] = {}
    enums: dict[str, dict[str, Text]] = {}
    for key, raw in (data.get("ui") or {}).items():
        text = _text(f"ui.{key}", raw, problems)
        if text is not None:
            ui[str(key)] = text
    for kind, values in (data.get("enums") or {}).items():
        enums[kind] = {}
        for code, raw in (values or {}).items():
            text = _text(f"enums.{kind}.{code}", raw, problems)
            if text is not None:
                enums[kind][str(code)] = text
    if problems:
        raise LabelsError(problems)
    return Labels(ui, enums)


def entries(catalog: Catalog) -> dict[tuple[str | None, str], tuple[str, bool]]:
    """(msgctxt, msgid) -> (msgstr, fuzzy) of the real entries (not the header, not obsolete)."""
    out: dict[tuple[str | None, str], tuple[str, bool]] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue  # the header; plural entries are not used by bonemet
        string = message.string if isinstance(message.string, str) else ""
        out[(message.context, message.id)] = (string, bool(message.fuzzy))
    return out


def where(key: tuple[str | None, str]) -> str:
    context, msgid = key
    if context and context.startswith(ENUM_CONTEXT):
        return f"enums.{context[len(ENUM_CONTEXT):]}.{msgid}"
    return f"ui.{msgid}" if context is None else f"{context}|{msgid}"


def catalogue_problems(catalogs: Mapping[str, Catalog]) -> list[str]:
    """Every entry of either catalogue needs a non-empty, non-fuzzy msgstr in both."""
    problems: list[str] = []
    per_lang = {lang: entries(catalogs[lang]) for lang in LANGS}
    keys = sorted(set().union(*per_lang.values()), key=lambda k: (k[0] or "", k[1]))
    for key in keys:
        for lang in LANGS:
            found = per_lang[lang].get(key)
            if found is None:
                problems.append(f"{where(key)}: no '{lang}' entry")
            elif not found[0].strip():
                problems.append(f"{where(key)}: empty '{lang}' translation")
            elif found[1]:
                problems.append(f"{where(key)}: '{lang}' translation is fuzzy")
    return problems


def parse_catalogues(catalogs: Mapping[str, Catalog]) -> Labels:
    problems = catalogue_problems(catalogs)
    if problems:
        raise LabelsError(problems)
    en, fr = (entries(catalogs[lang]) for lang in LANGS)
    ui: dict[str, Text] = {}
    enums: dict[str, dict[str, Text]] = {}
    # A label stating the flare window says it by placeholder, filled from the knowledge base (a
    # base that does not load leaves the placeholder: its error must still be worded).
    try:
        values = templates.values_of(default_kb())
    except KnowledgeBaseError:
        values = {}
    for (context, msgid), (string, _) in en.items():
        text = Text(en=templates.fill_text(string, values),
                    fr=templates.fill_text(fr[(context, msgid)][0], values))
        if context is None:
            ui[msgid] = text
        elif context.startswith(ENUM_CONTEXT):
            enums.setdefault(context[len(ENUM_CONTEXT):], {})[msgid] = text
    return Labels(ui, enums)


def read_catalogue(text: str, lang: str) -> Catalog:
    return read_po(io.StringIO(text), locale=lang, domain=DOMAIN)


def catalogue_text(lang: str) -> str:
    path = resources.files("bonemet") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def labels() -> Labels:
    return parse_catalogues({lang: read_catalogue(catalogue_text(lang), lang) for lang in LANGS})


# ---- values written into pages: dates and numbers in the reader's language ----------------------

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # .fullmatch: `$` passes a final "\n"


# "Available from: file:///Users/…pdf" in a citation (reference 33 of the source list): an address
# on the author's computer, printed as is it helps no reader (issue 25); the citation stays.
_LOCAL_FILE = re.compile(r"\s*(?:Available from:\s*)?<?file://[^\s>]*>?\.?", re.IGNORECASE)


class Verbatim(str):
    """A text written into a page exactly as the user typed it (the editor's free-text inputs): no
    date or number formatting, so that saving a case unchanged keeps every character (issue 25)."""

    __slots__ = ()


def display(value: Any, lang: str) -> Any:
    """How a template writes a value: 27/11/2026 and 0,3 in French; ISO dates and 0.3 in English.
    Strings that are an ISO date (facts of the case, dates kept as text) are dates too."""
    if isinstance(value, Verbatim):
        return value
    if isinstance(value, str) and "file://" in value:  # a source's local file: nothing to open
        value = _LOCAL_FILE.sub("", value)
    if isinstance(value, dt.datetime):
        return f"{format_day(value.date(), lang)} {value:%H:%M}"
    if isinstance(value, dt.date):
        return format_day(value, lang)
    if lang != "fr":
        return value
    if isinstance(value, float):
        return format_number(value, lang, "#,##0.###")
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return format_day(dt.date.fromisoformat(value), lang)
        except ValueError:
            return value
    return value


# The language of the page being rendered, for macros imported without the page's context.
RENDER_LANG: ContextVar[str] = ContextVar("bonemet_render_lang", default="en")


@pass_context
def finalize(context: Context, value: Any) -> Any:
    """Jinja `finalize` of the web app and the MDT summary: every {{ value }} goes through
    `display` in the language of the page being rendered."""
    return display(value, str(context.get("lang") or RENDER_LANG.get()))


def render_in(lang: str, render: Callable[[], str]) -> str:
    """Render a page in `lang` (sets RENDER_LANG for the macros), French typography included."""
    token = RENDER_LANG.set(lang)
    try:
        html = render()
    finally:
        RENDER_LANG.reset(token)
    return french_html(html) if lang == "fr" else html


def install_filters(env: Environment) -> Environment:
    """Filters `day` and `number` (format_date, format_decimal) and the finalize hook."""
    env.finalize = finalize
    env.globals["fact"] = lambda path, value, lang=None: fact_text(path, value, lang or RENDER_LANG.get())
    env.globals["param"] = lambda value, lang=None: param_text(value, lang or RENDER_LANG.get())
    env.globals["site_side"] = lambda site, side, lang=None: site_side(site, side, lang or RENDER_LANG.get())
    env.globals["field_name"] = lambda path, lang=None: field_label(path, lang or RENDER_LANG.get())
    env.filters["exams_in_words"] = lambda html, case, lang=None: Markup(exams_in_words(
        str(html), case, lang or RENDER_LANG.get()))
    env.globals["case_title"] = lambda case, lang=None: case_title(case, lang or RENDER_LANG.get())
    env.globals["exam_words"] = lambda modality, day, lang=None: exam_words(
        modality, day, lang or RENDER_LANG.get())
    env.globals["source_label"] = lambda label, lang=None: source_label(str(label), lang or RENDER_LANG.get())
    env.globals["lesion_subject"] = lambda subject, case, lang=None: lesion_subject(
        str(subject), case, lang or RENDER_LANG.get())
    env.filters["day"] = lambda value, lang="en": display(value, lang)
    env.filters["number"] = lambda value, lang="en", pattern="#,##0.###": format_number(value, lang, pattern)
    return env


def exam_words(modality: Any, day: Any, lang: str) -> str:
    """An exam as the board names it, never by its id: "scintigraphie osseuse planaire du
    12/03/2025", "FDG PET-CT of 2025-03-12" (issue 25); "examen du …" when its kind is unknown."""
    L = labels()
    name = L.enum("modality", modality, lang) if modality else L("exam", lang)
    if name[1:2].islower():  # "scintigraphie" inside a sentence; "TEP-TDM" kept
        name = name[0].lower() + name[1:]
    return L("hl25_exam_on", lang).format(exam=name, date=display(day, lang) if day else "—")


_LESION_PATH = re.compile(r"exams\[(\d+)\]\.lesions\[(\d+)\]")


# The plan's sources described in English words (not titles): their French label in French pages
# (review 25 F17). A label absent here is a title or a name, printed as its source writes it.
_SOURCE_KEYS = {
    "French information site on osteonecrosis of the jaw (toutsurlonm.fr)": "src25_onj_site",
    "Zoledronic acid 4 mg labels (EU SmPC Zometa; US prescribing information)": "src25_za_labels",
    "Denosumab labels (Xgeva 120 mg; US labels of denosumab products, boxed warning on severe "
    "hypocalcaemia in advanced kidney disease)": "src25_dmab_labels",
    "Zoledronic acid every 12 weeks: ZOOM, CALGB 70604, OPTIMIZE-2 trials (breast, prostate, "
    "myeloma; no lung cancer)": "src25_deescalation",
    "ASCO and ESMO common points on bone-modifying agents, as tabulated in J Bone Oncol "
    "2021;29:100375": "src25_asco_esmo",
    "AURA 2021 edition, radiotherapy target volumes and doses table": "src25_aura_rt_table",
}


def source_label(label: str, lang: str) -> tuple[str, str]:
    """A plan source's label in `lang` when it has one, and the language it is written in (for the
    element's `lang`, which also keeps French spacing out of English text)."""
    key = _SOURCE_KEYS.get(label)
    if key is not None and lang == "fr":
        return labels()(key, lang), "fr"
    return label, "en"


def lesion_subject(subject: str, case: Any, lang: str) -> str:
    """What a score is about, in words: a lesion's path ("exams[1].lesions[0]") becomes the lesion
    and the exam that saw it, "rachis thoracique T11 — TDM du 30/11/2026" (review 25 F10: the board
    reads lesions, not paths); "patient" (the same word in both languages) is said as it is."""
    found = _LESION_PATH.fullmatch(subject)
    exams = getattr(case, "exams", None) or ()
    if found is None:
        return subject
    i, j = int(found.group(1)), int(found.group(2))
    if i >= len(exams) or j >= len(exams[i].lesions):  # pragma: no cover - paths come from the case
        return labels()("exam", lang)
    exam, lesion = exams[i], exams[i].lesions[j]
    where = site_side(lesion.site, lesion.side, lang) + (f" {lesion.level}" if lesion.level else "")
    return f"{where} — {exam_words(exam.modality, exam.date, lang)}"


def exams_in_words(html: str, case: Any, lang: str) -> str:
    """The text of a rendered part (never its tags) with each exam id of the case in words: "(bs2)"
    after the exam's own date goes ("déjà réalisé le 26/05/2025"), elsewhere the id becomes
    "scintigraphie osseuse du 26/05/2025" (issue 25: the board reads exams, not ids)."""
    exams = [e for e in getattr(case, "exams", ()) or ()
             if re.search(r"[\d_-]", e.id)]  # an id that is a word ("ct") is left alone
    if not exams:
        return html
    parts = _HTML_PARTS.split(html)
    for i in range(0, len(parts), 2):  # text between tags only
        text = parts[i]
        for e in exams:
            if e.id not in text:
                continue
            day = str(display(e.date, lang))
            if day in text:
                text = re.sub(rf"\s?\((?:{re.escape(e.id)})\)", "", text)
            words = exam_words(getattr(e.modality, "value", e.modality), e.date, lang)
            text = re.sub(rf"(?<![\w-]){re.escape(e.id)}(?![\w-])", words, text)
        parts[i] = text
    return "".join(parts)


def case_title(case: Any, lang: str) -> str:
    """A readable name for a case with no patient label (the demo cases): its cancer, its phase or
    question and its date, "Adénocarcinome · Surveillance · 10/03/2025" (issue 25: never "—")."""
    L = labels()
    cancer = case.cancer.histology or case.cancer.primary_site
    kind = "histology" if case.cancer.histology else "primary_site"
    context = case.context
    moment = (L.enum("question", context.question, lang) if context.question
              else L.enum("phase", context.phase, lang))
    day = context.as_of or case.latest_date()
    parts = [L.enum(kind, cancer, lang) if cancer else "", moment, str(display(day, lang)) if day else ""]
    return " · ".join(p for p in parts if p)


def note_text(note: Any, lang: str) -> str:
    """A knowledge-base note: bilingual (statements) or, for bibliographic records, plain text."""
    return note(lang) if isinstance(note, Text) else str(note)  # type: ignore[arg-type]


_INDEX = re.compile(r"([a-z_]+)\[(\d*)\]")  # .fullmatch: `$` passes a final "\n"
# A whole list of the case ("labs[]": any entry), by the editor's section title.
_LIST_KEY = {"exams": "section_exams", "lesions": "section_lesions", "treatments": "section_treatments",
             "labs": "section_labs", "clinical_status": "section_status",
             "response_outside_bone": "section_outside_bone", "driver_alterations": "section_drivers"}
# The singular label of each list of the case, for "Exam 2 · Date" instead of "exams[1].date".
_ITEM_KEY = {"exams": "exam", "lesions": "lesion", "treatments": "treatment", "labs": "lab",
             "clinical_status": "status_entry", "response_outside_bone": "outside_entry",
             "driver_alterations": "driver"}


def score_input_label(score: str, name: str, lang: str) -> str | None:
    """'Tokuhashi · Extraspinal bone metastases': the score table's own wording of one input."""
    from bonemet.kb import default_kb

    table = default_kb().scores.get(score)
    if table is None:
        return None
    language: Any = lang
    item = next((i for i in table.items if i.id == name), None)
    measure = next((m for th in table.thresholds for m in th.measures if m.id == name), None)
    label = item.label(language) if item is not None else measure.label(language) if measure else None
    if label:
        return f"{table.name(language)} · {label}"
    return str(table.name(language)) if name == "grade" else None


def score_option_label(score: str, item: str, value: Any, lang: str) -> str | None:
    """An input of a score as its table words it ("mechanical" -> "Mécanique (soulagée…)"); None
    when the table has no such item or option (issue 21: no raw code in a fact)."""
    from bonemet.kb import default_kb

    table = default_kb().scores.get(score)
    if table is None:
        return None
    code = value.value if isinstance(value, Enum) else str(value)
    language: Any = lang
    for i in table.items:
        if i.id == item:
            option = next((o for o in i.options if o.id == code), None)
            return str(option.label(language)) if option is not None else None
    return None


def score_of(path: str) -> tuple[str, str] | None:
    """(score, item) for the path of a score input on a lesion or in the patient's score inputs:
    `exams[1].lesions[0].sins.pain`, `score_inputs.tokuhashi.palsy`."""
    segments = [x.split("[", 1)[0] for x in path.split(".")]
    if len(segments) >= 2 and segments[-2] in ("sins", "mirels", "harrington", "tokuhashi",
                                                 "tomita"):
        return segments[-2], segments[-1]
    return None


def field_label(path: str, lang: str) -> str:
    """A case field's path ("exams[0].pet_coverage") as the editor labels it ("Examen 1 · Champ de
    la TEP"); a segment without a label keeps its name, so nothing is hidden."""
    L = labels()
    parts: list[str] = []
    segments = path.split(".")
    if len(segments) == 2 and segments[0] == "score_inputs":  # a whole score's inputs: its name
        from bonemet.kb import default_kb

        table = default_kb().scores.get(segments[1])
        if table is not None:
            return str(table.name(lang))  # type: ignore[arg-type]
    if len(segments) == 3 and segments[0] == "score_inputs":  # an input of a score: its table's words
        label = score_input_label(segments[1], segments[2], lang)
        if label is not None:
            return label
    score = score_of(path)
    if score is not None and len(segments) > 2:  # a lesion's score input: the lesion, then the table
        label = score_input_label(*score, lang)
        if label is not None:
            return f"{field_label('.'.join(segments[:-2]), lang)} · {label}"
    for segment in segments:
        match = _INDEX.fullmatch(segment)
        if match and not match.group(2):
            key = _LIST_KEY.get(match.group(1))
            parts.append(L(key, lang) if key in L.ui else match.group(1))
        elif match:
            key = _ITEM_KEY.get(match.group(1))
            name = L(key, lang) if key in L.ui else match.group(1)
            parts.append(f"{name} {int(match.group(2)) + 1}")
        elif f"f_{segment}" in L.ui:
            parts.append(L(f"f_{segment}", lang))
        elif segment in ("context", "cancer", "availability", "patient", "score_inputs",
                         "plan_inputs", "complications"):
            continue  # the section is implied by the field's own label
        else:
            known = next((v[segment] for v in L.enums.values() if segment in v), None)
            parts.append(known(lang) if known is not None else segment)  # type: ignore[arg-type]
    return " · ".join(parts) or path


# A textarea's content is what the user typed (and what the form sends back): never retouched.
_HTML_PARTS = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<textarea\b.*?</textarea>"
                         r"|<!--.*?-->|<[^>]+>)", re.DOTALL | re.IGNORECASE)
_TEXT_ATTR = re.compile(r'\b(aria-label|title|placeholder|alt)="([^"]*)"')
_LEADING_PUNCT = re.compile(r"^[ \u202f]*([:;?!])(?=\s|$)")


def french_html(html: str) -> str:
    """French typography on the text of a rendered page (never inside tags, scripts or styles):
    the words written around template values (« Label : {{ value }} ») get their non-breaking
    space as the values do. A page of any template is covered, including pages added later."""
    parts = _HTML_PARTS.split(html)
    for i, part in enumerate(parts):
        if not part:
            continue
        if i % 2 == 1:  # a tag (its human-readable attributes only), a script, a style, a comment
            if not part.lower().startswith(("<script", "<style", "<!--", "<textarea")):
                parts[i] = _TEXT_ATTR.sub(lambda m: f'{m.group(1)}="{french_typography(m.group(2))}"', part)
            continue
        if i > 0 and _VERBATIM_TAG.match(parts[i - 1]):
            continue  # the user's own words, as typed (issue 25, item 7)
        parts[i] = french_typography(_LEADING_PUNCT.sub("\u00a0\\1", part) if i > 0 else part)
    return "".join(parts)


# Text typed by a user and shown back to be edited or printed as theirs: a <textarea>'s content
# (saved unchanged, it must post back unchanged) and an element marked `data-verbatim` (the
# board's words on the fiche). French typography is for bonemet's own text only.
# Text written in another language or quoted from a source is also left as written (review 25
# F17): an element marked `lang="en"` (« lung cancer: 99mTc-MDP » is English typography) and a
# reference's citation (`data-as-written`: printed as its source writes it, in any language).
_VERBATIM_TAG = re.compile(r"<(?:textarea\b|[a-z0-9]+\b[^>]*\s(?:data-verbatim\b|data-as-written\b|"
                           r"lang=\"en\"))", re.IGNORECASE)


# The vocabulary of a case field, by the field's name, for the value of a fact ("fdg_pet_ct" ->
# "TEP-TDM au FDG"); a field absent here shows its value as is (numbers, dates, free text).
_FIELD_KIND = {"modality": "modality", "result": "result", "pet_coverage": "pet_coverage",
               "purpose": "purpose", "phase": "phase", "question": "question", "site": "site",
               "side": "side", "phenotype": "phenotype", "type": "treatment_type",
               "stop_reason": "stop_reason", "status": "outside_status", "analyte": "analyte",
               "state": "clinical_state", "radiograph_finding": "radiograph_finding",
               "mri_finding": "mri_finding", "ct_finding": "ct_finding",
               "change_vs_previous": "change", "diagnosis": "diagnosis",
               "primary_site": "primary_site", "histology": "histology", "sex": "sex",
               "pain_sites": "site", "target_site": "site"}


_LINE = re.compile(r"([a-z_]+)( \(L\d+\))?")  # .fullmatch: `$` passes a final "\n"


def line_words(label: str, lang: str) -> str:
    """A follow-up reading's line ("egfr_tki (L1)": a line recorded without its agents is named by
    its type) in words: "ITK anti-EGFR (L1)" (issue 21, class 9)."""
    found = _LINE.fullmatch(label)
    if found and found.group(1) in labels().enums.get("treatment_type", {}):
        return labels().enum("treatment_type", found.group(1), lang) + (found.group(2) or "")
    return label


_NESTED_KIND = {("biopsy", "result"): "biopsy_result", ("exams", "status"): "exam_status"}


def fact_value(path: str, value: Any, lang: str) -> str:
    L = labels()
    if value is None:
        return L("not_recorded", lang)
    if isinstance(value, bool):
        return L("answer_yes" if value else "answer_no", lang)
    if isinstance(value, list | tuple):
        return ", ".join(fact_value(path, v, lang) for v in value) or "—"
    field = path.rsplit(".", 1)[-1].split("[", 1)[0]
    parent = path.rsplit(".", 2)[-2].split("[", 1)[0] if path.count(".") else ""
    score = score_of(path)
    if score is not None and isinstance(value, str | Enum):
        label = score_option_label(*score, value, lang)
        if label is not None:
            return label
    # A field name two vocabularies share: the block it sits in decides (issue 21).
    kind = _NESTED_KIND.get((parent, field)) or _FIELD_KIND.get(field)
    if kind is not None and isinstance(value, str | Enum):
        return L.enum(kind, value, lang)
    code = value.value if isinstance(value, Enum) else value
    if isinstance(code, str) and code:  # a vocabulary code under a field of another name
        # ("improving" under "clinical_status[]", issue 25): its label when one vocabulary has it.
        found = {values[code](lang) for values in L.enums.values() if code in values}  # type: ignore[arg-type]
        if len(found) == 1 or ("_" in code and found):
            return sorted(found)[0]
    return str(display(value, lang))


def fact_text(path: str, value: Any, lang: str) -> str:
    """A fact the rule used, as the reader knows it: "Examen 1 · Modalité = TEP-TDM au FDG"."""
    return f"{field_label(path, lang)} = {fact_value(path, value, lang)}"


def colon(label: str, lang: str) -> str:
    """'Label:' in English, 'Label\u00a0:' in French."""
    return f"{label}\u00a0:" if lang == "fr" else f"{label}:"


def param_text(value: object, lang: str) -> str:
    """A rule parameter as a reader sees it: numbers in the language, codes by their label."""
    L = labels()
    if isinstance(value, dict):
        # Keys are questions (validity windows) or parameter names (issue 21: nested settings).
        names = {k: L.enum("param", k, lang) if k in L.enums.get("param", {})
                 else L.enum("question", k, lang) for k in value}
        return " · ".join(f"{colon(names[k], lang)} {param_text(v, lang)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ("–" if all(isinstance(v, int | float) for v in value) and len(value) == 2 else ", ").join(
            param_text(v, lang) for v in value)
    if isinstance(value, bool):
        return L("answer_yes" if value else "answer_no", lang)
    if isinstance(value, int | float):
        return format_number(value, lang)
    if value in L.enums.get("param_value", {}):
        return L.enum("param_value", value, lang)
    for kind in ("question", "treatment_type"):  # a code of the case's vocabulary
        if value in L.enums.get(kind, {}):
            return L.enum(kind, value, lang)
    return L.enum("param_value", value, lang)


def site_side(site: Any, side: Any, lang: str) -> str:
    """'Côtes gauches', 'Omoplate droite', 'Left ribs': a site and its side, agreed in French."""
    from bonemet.model.case import Side, SkeletalSite
    from bonemet.model.labels import side_of

    L = labels()
    name = L.enum("site", site, lang)
    if not side:
        return name
    try:
        agreed = side_of(SkeletalSite(getattr(site, "value", site)), Side(getattr(side, "value", side)))
    except ValueError:
        return f"{name} {L.enum('side', side, lang)}"
    return f"{name} {agreed.fr}" if lang == "fr" else f"{name} {L.enum('side', side, lang)}"
