"""Residual probability of bone metastases after the exams of a case, and what one more exam would do.

Shown when the question is staging or when NM-11 warns about a negative bone scan, so that the advice
of NM-01/NM-02/NM-11 comes with numbers. Interpretation of the project: the chapter gives no
probabilities; the performance figures and the prior come from performance.yaml with their sources.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.kb.performance import PerformanceTable
from bonemet.model.assessment import RatedModality
from bonemet.model.case import ImagingExam, Modality, Question, Result
from bonemet.model.labels import HISTOLOGY
from bonemet.model.probability import BinaryResult, ExamUse, ResidualProbability

from .context import CaseView, IndexedExam, bone_metastases_known, isolated_lesion_exam
from .findings import RuleOutput
from .probability import calculate, figures, further_exams
from .validity import answers

# Case modalities that survey the skeleton per patient, with their table entry (same id).
_SURVEYS = frozenset({Modality.bone_scan, Modality.spect_ct, Modality.fdg_pet_ct,
                      Modality.naf_pet_ct, Modality.wb_mri})
# CT and MRI in a case may be chest CT or brain/targeted MRI: counting them as a bone survey would
# understate the residual probability.
_NOT_SURVEYS = frozenset({Modality.ct, Modality.mri})
_RELATED_RULES = ("NM-01", "NM-02", "NM-10", "NM-11", "NM-13")
# Performance-table modality -> the rated modality whose rating filters the further-exams table.
_RATED = {"bone_scan": RatedModality.bone_scan, "fdg_pet_ct": RatedModality.fdg_pet_ct,
          "naf_pet_ct": RatedModality.naf_pet_ct, "wb_mri": RatedModality.wb_mri,
          "wb_spect_ct": RatedModality.spect_ct, "spect_ct": RatedModality.spect_ct}


def _no_prior_reason(v: CaseView) -> str | None:
    """Why a population prior would mislead for this patient (issue 17, item 7), or None.

    The prior is the prevalence of bone metastases among patients staged for NSCLC; it does not
    describe a patient whose pain, lesions or isolated lesion already raise the probability."""
    if bone_metastases_known(v.case, v.exams, v.as_of):
        return "known_metastases"
    if isolated_lesion_exam(v.case, v.exams, v.as_of) is not None:
        return "isolated_lesion"
    if v.patient.bone_pain.value:  # pain recorded in any section (issue 21)
        return "new_pain"
    for x in v.done(*Modality):
        e = x.exam
        lesions = bool(e.lesions) and e.result is not Result.negative
        regional = e.modality in _NOT_SURVEYS | {Modality.radiograph} \
            and e.result in (Result.positive, Result.equivocal)
        if lesions or regional:
            return "known_lesions"
    return None


def _use(x: IndexedExam, counted: bool, reason: Text | None = None) -> ExamUse:
    result = x.exam.result.value if x.exam.result else None
    return ExamUse(exam_id=x.exam.id, modality=x.exam.modality.value, result=result,
                   counted=counted, reason=reason)


def _binary(exam: ImagingExam) -> BinaryResult | None:
    if exam.result is Result.positive:
        return BinaryResult.positive
    if exam.result is Result.negative:
        return BinaryResult.negative
    return None


def _select(v: CaseView, table: PerformanceTable, only: IndexedExam | None,
            kb: KnowledgeBase | None = None) -> tuple[list[IndexedExam], list[ExamUse]]:
    """Which exams count: one result per survey modality (the latest), a planar scan replaced by
    its SPECT-CT reading; `only` restricts the count to one exam (outside staging). With `kb`
    (staging), an exam that no longer answers staging (core/validity.py: older than its window, or
    followed by a treatment of the cancer) describes another disease status and is not counted."""
    text = table.text
    latest: dict[Modality, IndexedExam] = {}
    for x in v.done(*_SURVEYS):
        if _binary(x.exam) is not None:
            latest[x.exam.modality] = x  # v.exams is date-sorted: the last one wins
    spect = latest.get(Modality.spect_ct)
    counted: list[IndexedExam] = []
    uses: list[ExamUse] = []
    for x in v.exams:
        e = x.exam
        if v.as_of is not None and e.date > v.as_of:
            uses.append(_use(x, False, text("unused_after_as_of")))
        elif e.modality in _NOT_SURVEYS:
            uses.append(_use(x, False, text("unused_not_survey")))
        elif e.modality not in _SURVEYS:
            uses.append(_use(x, False, text("unused_no_entry")))
        elif e.result is None:
            uses.append(_use(x, False, text("unused_pending")))
        elif _binary(e) is None:
            uses.append(_use(x, False, text("unused_equivocal")))
        elif latest[e.modality] is not x:
            uses.append(_use(x, False, text("unused_superseded").format(by=latest[e.modality].exam.id)))
        elif e.modality is Modality.bone_scan and spect is not None and spect.exam.date >= e.date:
            uses.append(_use(x, False, text("unused_spect_supersedes").format(by=spect.exam.id)))
        elif only is not None and x is not only:
            uses.append(_use(x, False, text("unused_outside_staging")))
        elif kb is not None and not answers(v, kb, x, Question.staging):
            uses.append(_use(x, False, text("unused_no_longer_valid")))
        else:
            counted.append(x)
            partial = e.modality in (Modality.fdg_pet_ct, Modality.naf_pet_ct) and e.covers_femurs is False
            uses.append(_use(x, True, text("counted_partial_coverage") if partial else None))
    return counted, uses


def residual_probability(v: CaseView, out: RuleOutput,
                         rejected: frozenset[RatedModality] = frozenset()) -> ResidualProbability | None:
    """The assessment's probability section, or None when neither staging nor NM-11 applies.
    `rejected`: modalities rated usually_not_appropriate, never offered as a further exam."""
    table = out.kb.performance
    fired = {r.rule_id for r in out.recommendations}
    staging = v.asks(Question.staging)
    if table is None or not (staging or "NM-11" in fired):
        return None
    text = table.text
    trigger: Literal["staging", "negative_bone_scan"] = "staging" if staging else "negative_bone_scan"
    rule_ids = tuple(r for r in _RELATED_RULES if r in fired)

    def section(**fields: Any) -> ResidualProbability:
        return ResidualProbability(trigger=trigger, rule_ids=rule_ids, table_version=table.version,
                                   **fields)

    cancer = v.case.cancer
    if not v.is_lung:
        return section(status="not_applicable", note=text("not_lung"))
    reason = _no_prior_reason(v)
    if reason is None and "NM-14" in fired:
        reason = "pet_negative_sclerotic"
    if reason is not None:
        return section(status="not_applicable", note=text(reason))

    nm11_scan = None
    if not staging:
        # Outside staging only the negative scan NM-11 speaks about is counted: older results
        # describe a disease status that may have changed since.
        negatives = [x for x in v.done(Modality.bone_scan, Modality.spect_ct)
                     if x.exam.result is Result.negative]
        nm11_scan = negatives[-1]
    counted, uses = _select(v, table, nm11_scan, out.kb if staging else None)
    tests = [(x.exam.modality.value, _binary(x.exam)) for x in counted]
    results = [(m, r) for m, r in tests if r is not None]
    done = {m for m, _ in results}
    next_modalities = [m for m in table.further_exams
                       if m not in done and not (m == "bone_scan" and "spect_ct" in done)
                       and _RATED.get(m) not in rejected]
    # A survey exam whose report is pending: no further exam is offered as if its result were
    # known; the section says to wait for the report (review C03).
    pending = [x.exam.id for x in v.done(*_SURVEYS) if x.exam.result is None]
    waiting: tuple[Text, ...] = ()
    if pending:
        next_modalities = []
        waiting = (text("await_pending").format(exams=", ".join(pending)),)

    prior = table.staging_prior
    histology = cancer.histology.value if cancer.histology else None
    if staging and prior is not None and histology in prior.histologies:
        calc = calculate(table, results, prior_id=prior.id)
        bounds = (calc.posttest_bounds.low, calc.posttest_bounds.high) if calc.posttest_bounds \
            else None
        return section(
            status="computed", note=text("residual_staging"), calculation=calc,
            residual=calc.posttest, residual_bounds=calc.posttest_bounds, exams=tuple(uses),
            further=further_exams(table, next_modalities, calc.posttest, bounds),
            assumptions=(*waiting, *calc.assumptions),
        )

    note = text("no_prior") if not staging else \
        text("no_prior_histology").format(  # the histology in words, never its code (class 9)
            histology=HISTOLOGY[cancer.histology] if cancer.histology else "—")
    combined = 1.0
    for modality_id, result in results:
        lrs = figures(table, modality_id, {}).point_lrs
        assert lrs is not None  # defaults have point values (checked at load time)
        combined *= lrs[0] if result is BinaryResult.positive else lrs[1]
    assumptions = [text("per_patient")] + ([text("independence")] if len(results) > 1 else [])
    return section(
        status="likelihood_ratios_only", note=note, exams=tuple(uses),
        combined_likelihood_ratio=("infinity" if math.isinf(combined) else combined)
        if results else None,
        further=further_exams(table, next_modalities, None),
        assumptions=(*waiting, *assumptions, text("not_a_device")),
    )
