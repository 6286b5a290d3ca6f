"""From an assessment to CDS Hooks cards and system actions (pure: no I/O, no clock).

Imaging orders follow the Argonaut "CDS Hooks for PAMA" pattern: the rating goes back on the draft
ServiceRequest as a `systemActions` update (3-level PAMA rating, with bonemet's 4-level rating as a
second coding), a card says why, and when the guideline prefers another exam a suggestion replaces
the order with it. When data that the rules need is missing, the order is not rated and the card
says what is missing.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from bonemet.kb import KnowledgeBase, Lang
from bonemet.model import Assessment, Case
from bonemet.model.assessment import (
    Action as RecAction,
)
from bonemet.model.assessment import (
    MissingData,
    ModalityRating,
    RatedModality,
    Rating,
    Recommendation,
)
from bonemet.model.case import Change
from bonemet.model.followup import MissingArgument, ScanReading, Timing
from bonemet.service.cds_models import SUMMARY_MAX, Action, Card, Coding, Link, Source, Suggestion
from bonemet.service.markdown_text import bullets, emphasis, field_path, labelled, plain_line, strong, text
from bonemet.service.texts import Texts

log = logging.getLogger("bonemet.service")

CANONICAL = "https://bonemet.invalid/fhir"
RATING_SYSTEM = f"{CANONICAL}/CodeSystem/appropriateness"
RULE_SYSTEM = f"{CANONICAL}/CodeSystem/rule"
OVERRIDE_SYSTEM = f"{CANONICAL}/CodeSystem/override-reason"
RULE_EXTENSION = f"{CANONICAL}/StructureDefinition/rating-rule"
PAMA_RATING_EXTENSION = "http://fhir.org/argonaut/Extension/pama-rating"
PAMA_CONSULT_EXTENSION = "http://fhir.org/argonaut/Extension/pama-rating-consult-id"
PAMA_RATING_SYSTEM = "http://fhir.org/argonaut/CodeSystem/pama-rating"
_OURS = (PAMA_RATING_EXTENSION, PAMA_CONSULT_EXTENSION, RULE_EXTENSION)

# Interpretation (documented in docs/service.md): PAMA's three levels count "may be appropriate"
# as adherent, as the ACR scale did when it was used for PAMA reporting.
PAMA_LEVEL = {
    Rating.usually_appropriate: "appropriate",
    Rating.may_be_appropriate: "appropriate",
    Rating.usually_not_appropriate: "not-appropriate",
    Rating.no_criteria_apply: "no-criteria-apply",
}
_UUID_NS = uuid.UUID("5b0c6a52-3f0e-4f57-9a55-3d2b8c1e9f10")
_UUID_NS_BYTES = _UUID_NS.bytes


def name_uuid(name: str) -> str:
    """`str(uuid.uuid5(_UUID_NS, name))` (RFC 4122 §4.3: SHA-1 of namespace and name, version 5,
    variant 10) without building a `uuid.UUID`, whose constructor was a fifth of a card's cost
    (issue 27); a property test checks it against the standard library."""
    digest = bytearray(hashlib.sha1(_UUID_NS_BYTES + name.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"

OVERRIDE_REASONS = (
    ("patient-specific", {"en": "Patient-specific reason not captured by the rules",
                          "fr": "Raison propre au patient non prise en compte par les règles"}),
    ("mdt-decision", {"en": "Decided in the multidisciplinary tumour board",
                      "fr": "Décidé en réunion de concertation pluridisciplinaire"}),
    ("data-incorrect", {"en": "The data used by the rule is wrong or outdated",
                        "fr": "Les données utilisées par la règle sont fausses ou périmées"}),
    ("availability", {"en": "The preferred exam is not available in time",
                      "fr": "L'examen préféré n'est pas disponible à temps"}),
)


@dataclass(frozen=True)
class CardContext:
    """What every card of one call shares."""

    kb: KnowledgeBase
    texts: Texts
    lang: Lang
    base_url: str
    hook_instance: str
    smart_launch: bool = False  # SMART launch configured (issue 26): cards offer a `smart` link

    @property
    def smart_apps(self) -> tuple[str, ...]:
        return (self.base_url + "/smart/launch",) if self.smart_launch else ()

    def uid(self, *parts: str) -> str:
        """A stable id per (call, finding): resent cards keep their uuid, so feedback matches."""
        return name_uuid("|".join((self.hook_instance, *parts)))

    def source(self, rule_id: str | None) -> Source:
        label = self.texts("source_label", self.lang, kb_version=self.kb.version)
        if rule_id is None:
            return Source(label=label, url=f"{self.base_url}/api/kb/rules")
        rule = self.kb.rule(rule_id)
        return Source(label=label, url=f"{self.base_url}/api/kb/rules/{rule_id}",
                      topic=Coding(system=RULE_SYSTEM, code=rule_id, display=rule.title(self.lang)))

    def rule_link(self, rule_id: str) -> Link:
        return Link(label=self.texts("detail_rule_link", self.lang, rule=rule_id),
                    url=f"{self.base_url}/api/kb/rules/{rule_id}", type="absolute")

    def modality(self, modality: RatedModality) -> str:
        return self.texts(f"modality_{modality.value}", self.lang)

    def rating(self, rating: Rating) -> str:
        return self.texts(f"rating_{rating.value}", self.lang)


def own_links(cards: list[Card], base_url: str, smart_apps: tuple[str, ...] = ()) -> list[Card]:
    """The cards with only links the EHR may follow: the service's own pages (under `base_url`)
    or, for a `smart` link, the launch URL of a registered SMART app (`smart_apps`; none is
    registered today). Anything else is dropped and logged: a link is built by this service, so
    one pointing elsewhere is a defect, and the EHR must not be sent there (issue 22, item 5)."""
    out = []
    for card in cards:
        links = [link for link in card.links or () if _allowed(link, base_url, smart_apps)]
        dropped = len(card.links or ()) - len(links)
        source = card.source
        if source.url is not None and not _under(source.url, base_url):
            source = source.model_copy(update={"url": None})
            dropped += 1
        if dropped:
            log.warning("card %s: %d link(s) outside the service dropped", card.uuid, dropped)
        out.append(card.model_copy(update={"links": links or None, "source": source}))
    return out


SMART_LINK_LABEL = {"en": "Open in bonemet (this patient's assessment from the EHR record)",
                    "fr": "Ouvrir dans bonemet (l'évaluation de ce patient depuis le dossier)"}


def launch_links(cards: list[Card], cc: CardContext) -> list[Card]:
    """Each card with a CDS Hooks `smart` link to bonemet's launch URL, when SMART is configured:
    the EHR launches it with its `iss` and `launch` for the same patient (docs/smart.md)."""
    if not cc.smart_launch:
        return cards
    link = Link(label=SMART_LINK_LABEL[cc.lang], url=cc.smart_apps[0], type="smart")
    return [card.model_copy(update={"links": [*(card.links or ()), link]}) for card in cards]


def answer_links(cards: list[Card], cc: CardContext) -> list[Card]:
    """The links of an answer's cards: bonemet's launch link added, then only allowed ones kept."""
    return own_links(launch_links(cards, cc), cc.base_url, cc.smart_apps)


def _allowed(link: Link, base_url: str, smart_apps: tuple[str, ...]) -> bool:
    if link.type == "smart":
        return any(_under(link.url, app) for app in smart_apps)
    return _under(link.url, base_url)


def _under(url: str, base: str) -> bool:
    """`url` is `base` or below it: same scheme and host, path inside base's path."""
    try:
        target, root = urlsplit(url), urlsplit(base)
    except ValueError:
        return False
    path = root.path.rstrip("/")
    return ((target.scheme.lower(), target.netloc.lower()) == (root.scheme.lower(), root.netloc.lower())
            and (target.path == path or target.path.startswith(path + "/"))
            and "\\" not in url and _SPACE.search(url) is None)


# Any character `str.isspace` calls whitespace (sre tests each with the same Py_UNICODE_ISSPACE):
# one C search instead of a Python step per character of every link (issue 27).
_SPACE = re.compile(r"\s")


def fit(summary: str) -> str:
    """Keep a summary under the spec's 140 characters, cutting at a word when it must.

    The summary is plain text in CDS Hooks (not Markdown): it is kept on one line, not escaped."""
    summary = plain_line(summary)
    if len(summary) <= SUMMARY_MAX:
        return summary
    cut = summary[: SUMMARY_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return cut + "…"


def _sources_md(cc: CardContext, rule_id: str, statements: tuple[str, ...],
                references: tuple[int, ...]) -> str:
    refs = ", ".join(cc.kb.reference(n).short() for n in references if n in cc.kb.references)
    line = rule_id
    if statements:
        line += f" ({', '.join(statements)})"
    if refs:
        line += f"; {refs}"
    return labelled(cc.texts("detail_sources", cc.lang), line + f"; KB {cc.kb.version}", cc.lang)


# Every detail is built from the skeleton of bonemet.service.markdown_text and the text placed in
# it goes through its `text()`: the sentences carry words from the record and the draft order
# (issue 22, item 5), which must never become links, images or HTML in the EHR.


def _missing_md(cc: CardContext, missing: tuple[MissingData, ...] | tuple[MissingArgument, ...]) -> str:
    return _titled_list(cc.texts("detail_missing", cc.lang),
                        [f"{text(m.reason(cc.lang))} ({field_path(m.field)})" for m in missing])


def _titled_list(title: str, items: list[str]) -> str:
    return f"{strong(title)}:\n\n{bullets(items)}"


def _missing_phrase(cc: CardContext, missing: tuple[MissingData, ...]) -> str:
    reasons = list(dict.fromkeys(m.reason(cc.lang).rstrip("?").rstrip() for m in missing))
    return cc.texts("missing_and", cc.lang).join(reasons)


# order-select / order-sign -------------------------------------------------------------------


@dataclass(frozen=True)
class DraftOrder:
    """A draft ServiceRequest of the call and the rated modality it asks for."""

    resource: dict[str, Any]
    modality: RatedModality

    @property
    def reference(self) -> str | None:
        rid = self.resource.get("id")
        return f"ServiceRequest/{rid}" if isinstance(rid, str) and rid else None


@dataclass(frozen=True)
class OrderGuidance:
    cards: list[Card]
    system_actions: list[Action]


def rated_order(order: DraftOrder, rating: ModalityRating, cc: CardContext) -> dict[str, Any]:
    """The draft order, unchanged in meaning, with the rating extensions (replacing earlier ones)."""
    # The order is decoded JSON: a JSON round trip is a deep copy, ~7x faster than copy.deepcopy.
    resource: dict[str, Any] = orjson.loads(orjson.dumps(order.resource))
    kept = [e for e in resource.get("extension", []) if e.get("url") not in _OURS]
    level = PAMA_LEVEL[rating.rating]
    kept.append({
        "url": PAMA_RATING_EXTENSION,
        "valueCodeableConcept": {
            "coding": [
                {"system": PAMA_RATING_SYSTEM, "code": level,
                 "display": cc.texts(f"rating_{level.replace('-', '_')}", cc.lang)},
                {"system": RATING_SYSTEM, "code": rating.rating.value,
                 "display": cc.rating(rating.rating)},
            ],
            "text": cc.rating(rating.rating),
        },
    })
    kept.append({"url": PAMA_CONSULT_EXTENSION,
                 "valueUri": f"urn:uuid:{cc.uid('consult', order.reference or order.modality)}"})
    if rating.rule_id:
        kept.append({"url": RULE_EXTENSION, "valueCoding": {
            "system": RULE_SYSTEM, "code": rating.rule_id,
            "display": f"{cc.kb.rule(rating.rule_id).title(cc.lang)} (KB {cc.kb.version})"}})
    resource["extension"] = kept
    return resource


def order_guidance(order: DraftOrder, assessment: Assessment, cc: CardContext,
                   replacement: dict[str, Any] | None,
                   assumptions: tuple[str, ...] = ()) -> OrderGuidance:
    """Cards and system actions for one draft order (replacement: the alternative's draft order)."""
    if not assessment.scope.in_scope:
        return OrderGuidance([], [])
    rating = assessment.rating_of(order.modality)
    name = cc.modality(order.modality)
    key = order.reference or order.modality.value
    if rating.rating is Rating.no_criteria_apply and rating.missing_data:
        summary = cc.texts("order_not_rated_summary", cc.lang, modality=name,
                           missing=_missing_phrase(cc, rating.missing_data))
        detail = (f"{text(cc.texts('order_not_rated_detail', cc.lang))}\n\n"
                  f"{_missing_md(cc, rating.missing_data)}")
        if rating.rule_id:
            rule = cc.kb.rule(rating.rule_id)
            detail += "\n\n" + _sources_md(cc, rule.id, rule.statements, cc.kb.refs_for(rule.id))
        card = Card(uuid=cc.uid("not-rated", key), summary=fit(summary), detail=detail,
                    indicator="warning", source=cc.source(rating.rule_id),
                    links=[cc.rule_link(rating.rule_id)] if rating.rule_id else None)
        return OrderGuidance([card], [])

    # An update names the resource it replaces: a draft order without an id cannot be updated by
    # the EHR, so it gets the card only (issue 14).
    updates = [Action(type="update", description=cc.texts("action_rating_update", cc.lang),
                      resource=rated_order(order, rating, cc))] if order.reference is not None else []
    if rating.rule_id is None:
        summary = cc.texts("order_no_criteria_summary", cc.lang, modality=name)
        card = Card(uuid=cc.uid("rating", key), summary=fit(summary),
                    detail=text(rating.reason(cc.lang)), indicator="info", source=cc.source(None))
        return OrderGuidance([card], updates)

    rule = cc.kb.rule(rating.rule_id)
    summary = cc.texts("order_rated_summary", cc.lang, modality=name,
                       rating=cc.rating(rating.rating), rule=rule.id)
    parts = [labelled(cc.texts("detail_why", cc.lang), rating.reason(cc.lang), cc.lang)]
    if rule.basis == "derived":
        parts.append(emphasis(cc.texts("detail_interpretation", cc.lang)))
    if assumptions:
        parts.append(_titled_list(cc.texts("detail_assumed", cc.lang), [text(a) for a in assumptions]))
    parts.append(_sources_md(cc, rule.id, rating.statement_ids, rating.references))
    suggestions = None
    alternative = rating.preferred_alternative
    if (alternative is not None and rating.rating is not Rating.usually_appropriate
            and replacement is not None and order.reference is not None):
        alt_name = cc.modality(alternative)
        suggestions = [Suggestion(
            label=cc.texts("suggest_replace", cc.lang, alternative=alt_name),
            uuid=cc.uid("replace", key, alternative.value), isRecommended=True,
            actions=[
                Action(type="delete", resourceId=order.reference,
                       description=cc.texts("action_delete_order", cc.lang, modality=name)),
                Action(type="create", resource=replacement,
                       description=cc.texts("action_create_order", cc.lang, alternative=alt_name)),
            ],
        )]
    not_appropriate = rating.rating is Rating.usually_not_appropriate
    card = Card(
        uuid=cc.uid("rating", key), summary=fit(summary), detail="\n\n".join(parts),
        indicator="warning" if not_appropriate else "info", source=cc.source(rule.id),
        suggestions=suggestions, selectionBehavior="at-most-one" if suggestions else None,
        overrideReasons=_override_reasons(cc) if not_appropriate else None,
        links=[cc.rule_link(rule.id)],
    )
    return OrderGuidance([card], updates)


def _override_reasons(cc: CardContext) -> list[Coding]:
    return [Coding(system=OVERRIDE_SYSTEM, code=code, display=text[cc.lang])
            for code, text in OVERRIDE_REASONS]


# patient-view ----------------------------------------------------------------------------------

# (rule, action) → (summary text key, indicator): the findings worth interrupting a chart opening.
_PATIENT_FINDINGS: dict[tuple[str, RecAction], tuple[str, str]] = {
    # Issue 17: a done PET with a cut sweep gets targeted imaging of the femurs, not re-acquisition.
    ("NM-03", RecAction.targeted_imaging): ("pv_femurs_summary", "warning"),
    ("NM-03", RecAction.check_field_of_view): ("pv_coverage_unknown_summary", "info"),
    ("NM-09", RecAction.targeted_imaging): ("pv_isolated_summary", "warning"),
}
_EXAM_NAMES = {"fdg_pet_ct": "fdg_pet_ct", "naf_pet_ct": "naf_pet_ct", "bone_scan": "bone_scan",
               "spect_ct": "spect_ct"}


def patient_cards(assessment: Assessment, case: Case, cc: CardContext,
                  contradictions: tuple[str, ...] = ()) -> list[Card]:
    """One card per actionable finding; an empty list when there is nothing to say.
    `contradictions`: what the FHIR mapping found recorded both ways (a deficit and a "no deficit");
    the safe reading was kept and the urgent card says so (HZ-EHR-11)."""
    # An urgent alert (SAFE-01, suspected cord compression) reaches the EHR whatever the scope:
    # outside it that is the only card (no rating, no chapter finding) (review C10b, HZ-AD-09).
    # A contradiction between sections of the record comes first (issue 21): the EHR user sees
    # which fields disagree and that the safe reading was kept.
    cards: list[Card] = [
        _recommendation_card(rec, cc.texts("pv_contradiction_summary", cc.lang, rule=rec.rule_id),
                             "warning", cc)
        for rec in assessment.recommendations if rec.action is RecAction.contradiction
    ]
    cards += [
        _recommendation_card(rec, cc.texts("pv_urgent_summary", cc.lang, rule=rec.rule_id),
                             "critical", cc, contradictions)
        for rec in assessment.recommendations
        if rec.priority == "urgent" and rec.action is RecAction.urgent_alert
    ]
    if not assessment.scope.in_scope:
        return cards
    exams = {e.id: e for e in case.exams}
    for rec in assessment.recommendations:
        found = _PATIENT_FINDINGS.get((rec.rule_id, rec.action))
        if found is None:
            continue
        key, indicator = found
        exam = exams.get(rec.subject)
        date = exam.date.isoformat() if exam else "?"
        exam_name = (cc.modality(RatedModality(_EXAM_NAMES[exam.modality.value]))
                     if exam and exam.modality.value in _EXAM_NAMES else rec.subject)
        summary = cc.texts(key, cc.lang, date=date, exam=_in_sentence(exam_name))
        cards.append(_recommendation_card(rec, summary, indicator, cc))
    reading = early_increase(assessment)
    if reading is not None:
        cards.append(_flare_card(reading, cc))
    return cards


def _in_sentence(name: str) -> str:
    """'Bone scan' → 'bone scan' inside a sentence; acronyms ('FDG-PET/CT') keep their case."""
    return name[0].lower() + name[1:] if len(name) > 1 and name[1].islower() else name


def early_increase(assessment: Assessment) -> ScanReading | None:
    """The latest follow-up scan, when it is early (before month 6) and shows an increase."""
    if assessment.follow_up is None:
        return None
    compared = [s for s in assessment.follow_up.scans if s.status == "compared"]
    if not compared:
        return None
    latest = max(compared, key=lambda s: s.scan_date)
    if latest.timing is Timing.early and latest.change in (Change.more_foci, Change.more_intense):
        return latest
    return None


def _flare_card(reading: ScanReading, cc: CardContext) -> Card:
    rule = cc.kb.rule("NM-07")
    verdict = cc.texts(f"classification_{reading.classification.value}", cc.lang) \
        if reading.classification else None
    parts = [strong(rule.title(cc.lang)), text(rule.text(cc.lang))]
    if verdict:
        parts.append(labelled(cc.texts("detail_reading", cc.lang), verdict, cc.lang))
    # Each argument and advice its own list item, a blank line apart (a loose list).
    parts.extend(bullets([text(a.explanation(cc.lang))]) for a in reading.arguments)
    parts.extend(bullets([text(f"{a.text(cc.lang)} ({a.rule_id})")]) for a in reading.advice)
    if reading.missing_arguments:
        parts.append(_missing_md(cc, reading.missing_arguments))
    if reading.interpretation:
        parts.append(emphasis(cc.texts("detail_interpretation", cc.lang)))
    rule_ids = tuple(dict.fromkeys(("NM-07", "NM-08", *reading.rule_ids)))
    statements = tuple(dict.fromkeys(s for r in rule_ids for s in cc.kb.rule(r).statements))
    references = tuple(sorted({n for r in rule_ids for n in cc.kb.refs_for(r)}))
    parts.append(_sources_md(cc, " / ".join(rule_ids), statements, references))
    summary = cc.texts("pv_flare_summary", cc.lang, date=reading.scan_date.isoformat())
    return Card(uuid=cc.uid("flare", reading.scan_id), summary=fit(summary),
                detail="\n\n".join(parts), indicator="warning", source=cc.source("NM-07"),
                links=[cc.rule_link("NM-07"), cc.rule_link("NM-08")])


def _recommendation_card(rec: Recommendation, summary: str, indicator: str,
                         cc: CardContext, notes: tuple[str, ...] = ()) -> Card:
    parts = [strong(rec.title(cc.lang)), text(rec.text(cc.lang))]
    if rec.interpretation:
        parts.append(emphasis(cc.texts("detail_interpretation", cc.lang)))
    if rec.missing_data:
        parts.append(_missing_md(cc, rec.missing_data))
    if notes:
        parts.append(_titled_list(cc.texts("detail_assumed", cc.lang), [text(n) for n in notes]))
    parts.append(_sources_md(cc, rec.rule_id, rec.statement_ids, rec.references))
    return Card(uuid=cc.uid("finding", rec.rule_id, rec.action.value, rec.subject),
                summary=fit(summary), detail="\n\n".join(parts),
                indicator=indicator,
                source=cc.source(rec.rule_id), links=[cc.rule_link(rec.rule_id)])
