"""Imaging rules of the chapter (NM-01..NM-04, NM-09..NM-13): which exam, when, and why.

NM-05 (the date of a response-assessment scan) lives with the flare reader, core/flare_rules.py.

Each function reads the case view and writes recommendations and rating proposals. Texts and
thresholds come from the knowledge base; only the clinical logic lives here.
"""

from __future__ import annotations

from bonemet.kb.models import Text
from bonemet.model.assessment import Action, Fact, RatedModality, Rating
from bonemet.model.case import (
    Modality,
    Phenotype,
    PrimarySite,
    Purpose,
    Question,
    Result,
    TreatmentType,
)

from .context import CaseView, IndexedExam
from .findings import RuleOutput, rule

BONE_SCANS = (Modality.bone_scan, Modality.spect_ct)
PETS = (Modality.fdg_pet_ct, Modality.naf_pet_ct)
TARGETED = (Modality.ct, Modality.mri)

# Primaries whose bone metastases are typically lytic without bone reaction (NM-11).
_LOW_REACTION_PRIMARIES = frozenset({PrimarySite.lung, PrimarySite.kidney, PrimarySite.thyroid})


def _exam_facts(x: IndexedExam, *fields: str) -> tuple[Fact, ...]:
    facts = [Fact(path=f"{x.path}.date", value=x.exam.date.isoformat()),
             Fact(path=f"{x.path}.modality", value=x.exam.modality.value)]
    for name in fields:
        value = getattr(x.exam, name)
        facts.append(Fact(path=f"{x.path}.{name}", value=getattr(value, "value", value)))
    return tuple(facts)


def _staging_pets(v: CaseView) -> tuple[IndexedExam, ...]:
    return tuple(
        x for x in v.done(Modality.fdg_pet_ct)
        if x.exam.purpose in (None, Purpose.staging) and x.exam.result is not None
    )


@rule("NM-01")
def no_bone_scan_after_pet(v: CaseView, out: RuleOutput) -> None:
    if v.question is not Question.staging:
        return
    pets = _staging_pets(v)
    if not pets:
        return
    pet = pets[0]
    text = out.recommend(
        "NM-01", Action.not_indicated, RatedModality.bone_scan.value, "bone_scan_not_indicated",
        rating=Rating.usually_not_appropriate, facts=_exam_facts(pet, "result"),
        pet_date=pet.exam.date.isoformat(),
    )
    out.rate(RatedModality.bone_scan, Rating.usually_not_appropriate, "NM-01", text)
    for scan in v.done(Modality.bone_scan):
        if scan.exam.date > pet.exam.date and scan.exam.purpose in (None, Purpose.staging):
            out.recommend(
                "NM-01", Action.note, scan.exam.id, "bone_scan_done_after_pet",
                facts=_exam_facts(pet) + _exam_facts(scan),
                scan_date=scan.exam.date.isoformat(), pet_date=pet.exam.date.isoformat(),
            )


@rule("NM-02")
def pet_preferred_for_staging(v: CaseView, out: RuleOutput) -> None:
    if v.question is not Question.staging:
        return
    facts = (Fact(path="context.phase", value=v.case.context.phase.value),)
    text = out.recommend(
        "NM-02", Action.prefer, RatedModality.fdg_pet_ct.value, "prefer_pet",
        rating=Rating.usually_appropriate, facts=facts,
    )
    out.rate(RatedModality.fdg_pet_ct, Rating.usually_appropriate, "NM-02", text)
    if _staging_pets(v):
        return  # NM-01 already rates the bone scan
    pet_available = v.case.availability.fdg_pet
    message = "pet_unavailable" if pet_available is False else "bone_scan_fallback"
    fallback = out.recommend(
        "NM-02", Action.acceptable_alternative, RatedModality.bone_scan.value, message,
        rating=Rating.may_be_appropriate,
        facts=(*facts, Fact(path="availability.fdg_pet", value=pet_available)),
    )
    out.rate(RatedModality.bone_scan, Rating.may_be_appropriate, "NM-02", fallback,
             alternative=None if pet_available is False else RatedModality.fdg_pet_ct)


@rule("NM-03")
def pet_must_cover_femurs(v: CaseView, out: RuleOutput) -> None:
    pets = _staging_pets(v)
    for pet in pets:
        covers = pet.exam.covers_femurs
        if covers is True:
            continue
        facts = _exam_facts(pet, "pet_coverage", "femurs_included")
        if covers is False:
            coverage = pet.exam.pet_coverage.value if pet.exam.pet_coverage else "femurs_included=false"
            out.recommend(
                "NM-03", Action.extend_field_of_view, pet.exam.id, "femurs_not_covered",
                facts=facts, pet_date=pet.exam.date.isoformat(), coverage=coverage,
            )
        else:
            need = out.need(
                "NM-03", f"{pet.path}.pet_coverage",
                "field of view of the PET (does it include the whole femurs?)",
                "champ d'acquisition de la TEP (inclut-il les fémurs en entier ?)",
            )
            out.recommend(
                "NM-03", Action.check_field_of_view, pet.exam.id, "coverage_unknown",
                facts=facts, missing=(need,), pet_date=pet.exam.date.isoformat(),
            )
    if not pets and v.question is Question.staging:
        out.recommend("NM-03", Action.note, RatedModality.fdg_pet_ct.value, "plan_extended_sweep")


@rule("NM-04")
def no_routine_follow_up_scan(v: CaseView, out: RuleOutput) -> None:
    if v.question is not Question.follow_up:
        return
    ctx = v.case.context
    facts = (Fact(path="context.new_bone_pain", value=ctx.new_bone_pain),
             Fact(path="context.question_text", value=ctx.question_text))
    if ctx.new_bone_pain:
        text = out.recommend("NM-04", Action.note, RatedModality.bone_scan.value, "justified_pain",
                             rating=Rating.may_be_appropriate, facts=facts)
        out.rate(RatedModality.bone_scan, Rating.may_be_appropriate, "NM-04", text)
    elif ctx.question_text:
        text = out.recommend("NM-04", Action.note, RatedModality.bone_scan.value,
                             "justified_question", rating=Rating.may_be_appropriate, facts=facts,
                             question=ctx.question_text)
        out.rate(RatedModality.bone_scan, Rating.may_be_appropriate, "NM-04", text)
    elif ctx.new_bone_pain is False:
        text = out.recommend("NM-04", Action.not_indicated, RatedModality.bone_scan.value,
                             "routine_not_indicated", rating=Rating.usually_not_appropriate,
                             facts=facts)
        out.rate(RatedModality.bone_scan, Rating.usually_not_appropriate, "NM-04", text)
    else:
        need = out.need("NM-04", "context.new_bone_pain", "does the patient have new bone pain?",
                        "le patient a-t-il une douleur osseuse nouvelle ?")
        text = out.recommend("NM-04", Action.note, RatedModality.bone_scan.value, "pain_unknown",
                             facts=facts, missing=(need,))
        out.rate(RatedModality.bone_scan, Rating.no_criteria_apply, "NM-04", text,
                 missing=(need,))


def _targeted_after(v: CaseView, x: IndexedExam) -> IndexedExam | None:
    wanted = x.exam.lesions[0].site if len(x.exam.lesions) == 1 else None
    for other in v.done(*TARGETED):
        if other.exam.date < x.exam.date:
            continue
        if wanted is None or other.exam.target_site in (None, wanted):
            return other
    return None


@rule("NM-09")
def isolated_lesion_workup(v: CaseView, out: RuleOutput) -> None:
    isolated = [x for x in v.done(*BONE_SCANS, *PETS) if x.exam.is_isolated_lesion]
    if not isolated:
        if v.question is Question.isolated_lesion:
            need = out.need(
                "NM-09", "exams[].isolated_lesion",
                "the PET or bone scan showing the isolated lesion",
                "la TEP ou la scintigraphie montrant la lésion isolée",
            )
            out.missing.append(need)
            for modality in (RatedModality.targeted_ct, RatedModality.targeted_mri):
                out.rate(modality, Rating.no_criteria_apply, "NM-09", out.kb.rule("NM-09").title,
                         missing=(need,))
        return
    x = isolated[-1]
    facts = _exam_facts(x, "result", "isolated_lesion")
    site = x.exam.lesions[0].site.value if len(x.exam.lesions) == 1 else None
    done = _targeted_after(v, x)
    names = {Modality.fdg_pet_ct: "FDG-PET", Modality.naf_pet_ct: "NaF-PET",
             Modality.bone_scan: "bone scan", Modality.spect_ct: "SPECT-CT"}
    if done is None:
        text = out.recommend(
            "NM-09", Action.targeted_imaging, x.exam.id, "targeted_imaging",
            rating=Rating.usually_appropriate, facts=facts, exam=names[x.exam.modality],
            exam_date=x.exam.date.isoformat(), site=f" ({site})" if site else "",
        )
        out.rate(RatedModality.targeted_mri, Rating.usually_appropriate, "NM-09", text)
        out.rate(RatedModality.targeted_ct, Rating.usually_appropriate, "NM-09", text)
        out.recommend("NM-09", Action.specialist_opinion, x.exam.id, "specialist_opinion",
                      facts=facts)
    else:
        out.recommend(
            "NM-09", Action.specialist_opinion, x.exam.id, "targeted_done",
            facts=facts + _exam_facts(done), done_exam=done.exam.modality.value,
            done_date=done.exam.date.isoformat(),
        )


@rule("NM-10")
def spect_ct_is_targeted(v: CaseView, out: RuleOutput) -> None:
    if v.question not in (Question.staging, Question.equivocal_finding, Question.isolated_lesion):
        return
    suspicious = [
        x for x in v.done(Modality.bone_scan)
        if x.exam.result is Result.equivocal or x.exam.is_isolated_lesion
        or any(lesion.suspicious for lesion in x.exam.lesions)
    ]
    if suspicious:
        x = suspicious[-1]
        text = out.recommend(
            "NM-10", Action.refine_with_spect_ct, x.exam.id, "refine_suspicious",
            rating=Rating.usually_appropriate, facts=_exam_facts(x, "result"),
            scan_date=x.exam.date.isoformat(),
        )
        out.rate(RatedModality.spect_ct, Rating.usually_appropriate, "NM-10", text)
    elif v.question is Question.staging:
        text = out.kb.rule("NM-10").message("not_survey")
        out.rate(RatedModality.spect_ct, Rating.usually_not_appropriate, "NM-10", text,
                 alternative=RatedModality.fdg_pet_ct)


def _negative_scan_reasons(v: CaseView, scan: IndexedExam) -> list[tuple[str, Fact]]:
    reasons: list[tuple[str, Fact]] = []
    primary = v.case.cancer.primary_site
    if primary in _LOW_REACTION_PRIMARIES:
        reasons.append(("reason_lung", Fact(path="cancer.primary_site", value=primary.value)))
    rt = [
        (i, t) for i, t in enumerate(v.case.treatments)
        if t.type is TreatmentType.radiotherapy and t.start and t.start <= scan.exam.date
    ]
    irradiated = [x for x in v.done(*BONE_SCANS, *PETS, *TARGETED)
                  if any(lesion.irradiated for lesion in x.exam.lesions)]
    if rt:
        reasons.append(("reason_radiotherapy",
                        Fact(path=f"treatments[{rt[0][0]}].type", value="radiotherapy")))
    elif irradiated:
        reasons.append(("reason_radiotherapy",
                        Fact(path=f"{irradiated[0].path}.lesions[].irradiated", value=True)))
    lytic = [x for x in v.exams
             if any(lesion.phenotype is Phenotype.lytic for lesion in x.exam.lesions)]
    if lytic:
        reasons.append(("reason_lytic", Fact(path=f"{lytic[0].path}.lesions[].phenotype",
                                             value="lytic")))
    return reasons


@rule("NM-11")
def negative_bone_scan_warning(v: CaseView, out: RuleOutput) -> None:
    negatives = [x for x in v.done(*BONE_SCANS) if x.exam.result is Result.negative]
    if not negatives:
        return
    scan = negatives[-1]
    reasons = _negative_scan_reasons(v, scan)
    if not reasons:
        return
    rule_ = out.kb.rule("NM-11")
    joined_en = ", ".join(rule_.messages[key].en for key, _ in reasons)
    joined_fr = ", ".join(rule_.messages[key].fr for key, _ in reasons)
    scan_date = scan.exam.date.isoformat()
    text = rule_.messages["negative_not_exclusive"]
    rendered = Text(en=text.en.format(scan_date=scan_date, reasons=joined_en),
                    fr=text.fr.format(scan_date=scan_date, reasons=joined_fr))
    facts = _exam_facts(scan, "result") + tuple(f for _, f in reasons)
    out.recommend("NM-11", Action.negative_not_exclusive, scan.exam.id, rendered, facts=facts)


@rule("NM-12")
def pet_for_occult_or_equivocal(v: CaseView, out: RuleOutput) -> None:
    if v.question is Question.occult_disease:
        text = out.recommend("NM-12", Action.consider_pet, RatedModality.fdg_pet_ct.value,
                             "occult", rating=Rating.usually_appropriate,
                             facts=(Fact(path="context.question", value=v.question.value),))
        out.rate(RatedModality.fdg_pet_ct, Rating.usually_appropriate, "NM-12", text)
    elif v.question is Question.equivocal_finding:
        equivocal = [x for x in v.done(*BONE_SCANS) if x.exam.result is Result.equivocal]
        if not equivocal:
            need = out.need("NM-12", "exams[].result",
                            "the bone scan with the equivocal finding",
                            "la scintigraphie montrant l'anomalie douteuse")
            out.missing.append(need)
            out.rate(RatedModality.fdg_pet_ct, Rating.no_criteria_apply, "NM-12",
                     out.kb.rule("NM-12").title, missing=(need,))
            return
        x = equivocal[-1]
        text = out.recommend("NM-12", Action.consider_pet, x.exam.id, "equivocal",
                             rating=Rating.usually_appropriate, facts=_exam_facts(x, "result"),
                             scan_date=x.exam.date.isoformat())
        out.rate(RatedModality.fdg_pet_ct, Rating.usually_appropriate, "NM-12", text)


@rule("NM-13")
def naf_pet_is_an_option(v: CaseView, out: RuleOutput) -> None:
    scenarios = out.kb.rule("NM-13").scenarios
    if v.question.value not in scenarios:
        return
    available = v.case.availability.naf_pet
    message = {True: "option_available", False: "option_unavailable"}.get(
        available, "option_unknown"  # type: ignore[arg-type]
    )
    text = out.recommend("NM-13", Action.option, RatedModality.naf_pet_ct.value, message,
                         rating=Rating.may_be_appropriate,
                         facts=(Fact(path="availability.naf_pet", value=available),))
    out.rate(RatedModality.naf_pet_ct, Rating.may_be_appropriate, "NM-13", text)
