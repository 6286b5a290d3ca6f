"""The scores a case asks for: every score of the site of each lesion that carries score inputs,
and the patient-level spine scores when the case has a `score_inputs` block. Pure: case and
knowledge base in, results out; a score that lacks inputs is listed with what is missing."""

from __future__ import annotations

from collections.abc import Mapping

from bonemet.kb.loader import KnowledgeBase
from bonemet.model.case import Case, Lesion
from bonemet.model.levels import spinal_levels
from bonemet.model.score_inputs import (
    ACETABULAR_SITES,
    LONG_BONE_SITES,
    SPINE_SITES,
    HarringtonInputs,
    MirelsInputs,
    SinsInputs,
)
from bonemet.model.scores import CaseScores, IncompleteScore, MissingInputsError, ScoreResult
from bonemet.scores.engine import Value, compute, resolve

_LYSIS = ("axial_lysis_percent", "circumferential_lysis_percent")


class _Collector:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.computed: list[ScoreResult] = []
        self.incomplete: list[IncompleteScore] = []

    def run(self, score_id: str, subject: str, prefix: str, given: Mapping[str, Value],
            facts: Mapping[str, tuple[Value, str]], *, grade: Value = None, grade_field: str = "grade",
            measures: Mapping[str, float | None] | None = None) -> None:
        table = self.kb.scores[score_id]
        values, derived = resolve(table, given, facts)
        try:
            self.computed.append(compute(
                table, values, kb_version=self.kb.version, tables=self.kb.scores, grade=grade,
                measures=measures, derived_from=derived, subject=subject, field_prefix=prefix,
                grade_field=grade_field))
        except MissingInputsError as exc:
            self.incomplete.append(IncompleteScore(score=score_id, name=table.name, subject=subject,
                                                   missing=tuple(exc.missing)))


def _asks_for_scores(lesion: Lesion) -> bool:
    return any(x is not None for x in (lesion.mirels, lesion.sins, lesion.bilsky, lesion.harrington))


def _one_level(text: str | None) -> str | None:
    """A single vertebral level in the table's spelling ('D8' and 'Th8' are T8: third clinical
    review, R02); anything else as written (the table then finds no location and says so)."""
    levels = spinal_levels(text)
    return next(iter(levels)) if levels is not None and len(levels) == 1 else text


def _lesion_scores(out: _Collector, lesion: Lesion, subject: str) -> None:
    facts: dict[str, tuple[Value, str]] = {
        "phenotype": (lesion.phenotype, f"{subject}.phenotype"),
        "skeletal_site": (lesion.site, f"{subject}.site"),
        "level": (_one_level(lesion.level), f"{subject}.level"),
    }
    site = lesion.site.value
    if site in LONG_BONE_SITES:
        m = lesion.mirels or MirelsInputs()
        out.run("mirels", subject, f"{subject}.mirels.", m.model_dump(exclude=set(_LYSIS)), facts,
                measures={k: getattr(m, k) for k in _LYSIS})
    if site in SPINE_SITES:
        out.run("sins", subject, f"{subject}.sins.", (lesion.sins or SinsInputs()).model_dump(), facts)
        out.run("bilsky", subject, f"{subject}.", {}, facts, grade=lesion.bilsky, grade_field="bilsky")
    if site in ACETABULAR_SITES:
        h = lesion.harrington or HarringtonInputs()
        findings = {k: v for k, v in h.model_dump(exclude={"classification"}).items() if v is not None}
        out.run("harrington", subject, f"{subject}.harrington.", findings, facts, grade=h.classification,
                grade_field="classification")


def case_scores(case: Case, kb: KnowledgeBase) -> CaseScores | None:
    """None when the case asks for no score (no score inputs anywhere), so older cases are unchanged."""
    if not kb.scores:
        return None
    out = _Collector(kb)
    for i, exam in enumerate(case.exams):
        for j, lesion in enumerate(exam.lesions):
            if _asks_for_scores(lesion):
                _lesion_scores(out, lesion, f"exams[{i}].lesions[{j}]")
    p = case.score_inputs
    if p is not None:
        facts: dict[str, tuple[Value, str]] = {
            "primary_site": (case.cancer.primary_site, "cancer.primary_site"),
            "frankel": (p.frankel, "score_inputs.frankel"),
            "karnofsky": (p.tokuhashi.karnofsky, "score_inputs.tokuhashi.karnofsky"),
        }
        out.run("tokuhashi", "patient", "score_inputs.tokuhashi.",
                p.tokuhashi.model_dump(exclude={"karnofsky"}), facts)
        out.run("tomita", "patient", "score_inputs.tomita.", p.tomita.model_dump(), facts)
        out.run("frankel", "patient", "score_inputs.", {}, facts, grade=p.frankel, grade_field="frankel")
        if p.asia is not None:
            out.run("asia", "patient", "score_inputs.", {}, facts, grade=p.asia, grade_field="asia")
    if not out.computed and not out.incomplete:
        return None
    return CaseScores(computed=tuple(out.computed), incomplete=tuple(out.incomplete))
