"""Imaging rules of the chapter (NM-01..NM-04, NM-09..NM-13), the derived NM-14 and NM-15, and the
safety net SAFE-01 (outside the chapter): which exam, when, and why.

NM-05 (the date of a response-assessment scan) lives with the flare reader, core/flare_rules.py.

Each function reads the case view and writes recommendations and rating proposals. Texts and
thresholds come from the knowledge base; only the clinical logic lives here.
"""

from __future__ import annotations

from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import labels
from bonemet.model.assessment import Action, Fact, RatedModality, Rating
from bonemet.model.case import (
    DiagnosisStatus,
    Modality,
    Phenotype,
    PrimarySite,
    Purpose,
    Question,
    Result,
    TreatmentType,
)
from bonemet.model.labels import day as _day

from .context import (
    CHARACTERISING,
    WHOLE_BODY,
    CaseView,
    IndexedExam,
    LesionBiopsy,
    bone_metastases_known,
    isolated_lesion_exam,
    lesions_settled,
    settled_isolated_lesion,
)
from .findings import RuleOutput, rule
from .question_cues import QuestionCue, question_cues
from .safety import cord_compression_suspected, cord_trigger_wording
from .validity import answers, validity

BONE_SCANS = (Modality.bone_scan, Modality.spect_ct)
PETS = (Modality.fdg_pet_ct, Modality.naf_pet_ct)
TARGETED = (Modality.ct, Modality.mri)

# Primaries whose bone metastases are typically lytic without bone reaction (NM-11), with the
# message naming each (a kidney primary must not be called a lung primary).
_LOW_REACTION_PRIMARIES = {PrimarySite.lung: "reason_lung", PrimarySite.kidney: "reason_kidney",
                           PrimarySite.thyroid: "reason_thyroid"}


def _exam_facts(x: IndexedExam, *fields: str) -> tuple[Fact, ...]:
    facts = [Fact(path=f"{x.path}.date", value=x.exam.date.isoformat()),
             Fact(path=f"{x.path}.modality", value=x.exam.modality.value)]
    for name in fields:
        value = getattr(x.exam, name)
        facts.append(Fact(path=f"{x.path}.{name}", value=getattr(value, "value", value)))
    return tuple(facts)


def _staging_pets_performed(v: CaseView) -> tuple[IndexedExam, ...]:
    """Staging FDG-PETs performed by the decision date, whatever their age."""
    return tuple(
        x for x in v.done(Modality.fdg_pet_ct) if x.exam.purpose in (None, Purpose.staging)
    )


def _staging_pets(v: CaseView, kb: KnowledgeBase) -> tuple[IndexedExam, ...]:
    """Staging FDG-PETs that still answer the staging question on the decision date: within the
    staging window and not followed by a treatment of the cancer (core/validity.py, the windows of
    ADV-01), so that an old PET, or one done before neoadjuvant treatment, suppresses no rating
    (issue 21, class 3). A PET whose report is pending counts: the chapter's condition is that a
    PET was performed (issue 17, item 2)."""
    return tuple(x for x in _staging_pets_performed(v) if answers(v, kb, x, Question.staging))


def pet_negative_with_sclerotic(v: CaseView) -> tuple[IndexedExam, IndexedExam] | None:
    """(latest FDG-PET, evidence) when the latest reported FDG-PET is negative or equivocal while
    sclerotic (blastic or mixed) lesions or a positive CT are recorded: FDG shows osteolytic lesions
    better than osteocondensing ones (F25, FIG3), so the PET does not exclude them (NM-14)."""
    performed = v.done(Modality.fdg_pet_ct)
    # The latest PET decides; while its report is pending there is no negative PET to qualify.
    if not performed or performed[-1].exam.result in (None, Result.positive):
        return None
    pet = performed[-1]
    for x in v.done(*Modality):
        e = x.exam
        if x is pet:
            continue
        blastic = any(lesion.phenotype in (Phenotype.blastic, Phenotype.mixed) for lesion in e.lesions)
        positive_ct = e.modality is Modality.ct and e.result in (Result.positive, Result.equivocal)
        if blastic or positive_ct:
            return pet, x
    return None


@rule("NM-01")
def no_bone_scan_after_pet(v: CaseView, out: RuleOutput) -> None:
    if not v.asks(Question.staging):
        return
    pets = _staging_pets(v, out.kb)
    if not pets:
        return
    pet = pets[0]
    if pet_negative_with_sclerotic(v) is not None:
        # The premise of NM-01 (the PET sees more) fails for sclerotic lesions: NM-14 rates.
        out.recommend("NM-01", Action.note, RatedModality.bone_scan.value, "sclerotic_exception",
                      facts=_exam_facts(pet, "result"), pet_date=_day(pet.exam.date))
        return
    text = out.recommend(
        "NM-01", Action.not_indicated, RatedModality.bone_scan.value, "bone_scan_not_indicated",
        rating=Rating.usually_not_appropriate, facts=_exam_facts(pet, "result"),
        pet_date=_day(pet.exam.date),
    )
    out.rate(RatedModality.bone_scan, Rating.usually_not_appropriate, "NM-01", text)
    for scan in v.done(Modality.bone_scan):
        if scan.exam.date > pet.exam.date and scan.exam.purpose in (None, Purpose.staging):
            out.recommend(
                "NM-01", Action.note, scan.exam.id, "bone_scan_done_after_pet",
                facts=_exam_facts(pet) + _exam_facts(scan),
                scan_date=_day(scan.exam.date), pet_date=_day(pet.exam.date),
            )


@rule("NM-02")
def pet_preferred_for_staging(v: CaseView, out: RuleOutput) -> None:
    if not v.asks(Question.staging):
        return
    if _staging_pets(v, out.kb):
        return  # a staging PET was performed: NM-01 rates the bone scan, ADV-01 the PET itself
    facts = (Fact(path="context.phase", value=v.case.context.phase.value),)
    text = out.recommend(
        "NM-02", Action.prefer, RatedModality.fdg_pet_ct.value, "prefer_pet",
        rating=Rating.usually_appropriate, facts=facts,
    )
    _stale_staging_pet(v, out)
    out.rate(RatedModality.fdg_pet_ct, Rating.usually_appropriate, "NM-02", text)
    pet_available = v.case.availability.fdg_pet
    message = "pet_unavailable" if pet_available is False else "bone_scan_fallback"
    fallback = out.recommend(
        "NM-02", Action.acceptable_alternative, RatedModality.bone_scan.value, message,
        rating=Rating.may_be_appropriate,
        facts=(*facts, Fact(path="availability.fdg_pet", value=pet_available)),
    )
    out.rate(RatedModality.bone_scan, Rating.may_be_appropriate, "NM-02", fallback,
             alternative=None if pet_available is False else RatedModality.fdg_pet_ct)


def _stale_staging_pet(v: CaseView, out: RuleOutput) -> None:
    """Say why the latest staging PET performed no longer counts (its window passed, or a
    treatment of the cancer started after it), so that proposing the PET again is explained."""
    performed = _staging_pets_performed(v)
    if not performed:
        return
    pet = performed[-1]
    status = validity(v, out.kb, pet, Question.staging)
    facts = _exam_facts(pet)
    if status.reopened_by is not None:
        index, treatment = status.reopened_by
        assert treatment.start is not None  # reopening treatments are dated
        name = labels.TREATMENT[treatment.type]
        agents = f" ({', '.join(treatment.agents)})" if treatment.agents else ""
        out.recommend("NM-02", Action.note, pet.exam.id, "pet_before_treatment",
                      facts=(*facts, Fact(path=f"treatments[{index}].start",
                                          value=treatment.start.isoformat())),
                      pet_date=_day(pet.exam.date), start=_day(treatment.start),
                      treatment=Text(en=name.en + agents, fr=name.fr + agents))
    elif status.expired:
        out.recommend("NM-02", Action.note, pet.exam.id, "pet_expired",
                      facts=(*facts, Fact(path="context.as_of",
                                          value=v.as_of.isoformat() if v.as_of else None)),
                      pet_date=_day(pet.exam.date), age=status.age_days,
                      days=status.window_days)


@rule("NM-03")
def pet_must_cover_femurs(v: CaseView, out: RuleOutput) -> None:
    pets = _staging_pets(v, out.kb)
    for pet in pets:
        covers = pet.exam.covers_femurs
        if covers is True:
            continue
        facts = _exam_facts(pet, "pet_coverage", "femurs_included")
        if covers is False:
            # The PET is done: propose what completes the femurs now, not re-acquiring it.
            coverage = (labels.PET_COVERAGE[pet.exam.pet_coverage] if pet.exam.pet_coverage
                        else labels.FEMURS_NOT_INCLUDED)
            out.recommend(
                "NM-03", Action.targeted_imaging, pet.exam.id, "femurs_not_covered",
                facts=facts, pet_date=_day(pet.exam.date), coverage=coverage,
            )
        else:
            need = out.need(
                "NM-03", f"{pet.path}.pet_coverage",
                "field of view of the PET (does it include the whole femurs?)",
                "champ d'acquisition de la TEP (inclut-il les fémurs en entier ?)",
            )
            out.recommend(
                "NM-03", Action.check_field_of_view, pet.exam.id, "coverage_unknown",
                facts=facts, missing=(need,), pet_date=_day(pet.exam.date),
            )
    if not pets and v.asks(Question.staging):
        out.recommend("NM-03", Action.note, RatedModality.fdg_pet_ct.value, "plan_extended_sweep")


@rule("NM-04")
def no_routine_follow_up_scan(v: CaseView, out: RuleOutput) -> None:
    if not v.asks(Question.follow_up):
        return
    ctx = v.case.context
    # New pain from every section that records it (pain sites say there is pain; issue 21): a
    # contradicting "no" never wins over it.
    pain = v.patient.bone_pain.value
    facts = (Fact(path="context.new_bone_pain", value=ctx.new_bone_pain),
             Fact(path="context.question_text", value=ctx.question_text))
    raised = [q for q in (Question.equivocal_finding, Question.isolated_lesion,
                          Question.occult_disease) if v.raised(q) is not None]
    # The request's wording counts as "a specific clinical question" (REC2) only when it names
    # what the scan would answer: a symptom, a finding, a bone-related lab anomaly, a decision
    # (core/question_cues.py; review 25 F2). The quick check shows what the same reader read.
    cues = question_cues(ctx.question_text)
    if raised and not pain and not cues:
        # A finding raised the question (review C04): not "no question"; the rules of that question
        # (NM-09, NM-10, NM-12) rate the exams, and ADV-01 a scan already done.
        source = v.raised(raised[0])
        assert source is not None
        out.recommend("NM-04", Action.note, RatedModality.bone_scan.value, "question_raised",
                      facts=(*facts, Fact(path=source.source, value=raised[0].value)))
    elif pain:
        text = out.recommend("NM-04", Action.note, RatedModality.bone_scan.value, "justified_pain",
                             rating=Rating.may_be_appropriate, facts=facts)
        out.rate(RatedModality.bone_scan, Rating.may_be_appropriate, "NM-04", text)
        _naf_like_bone_scan(v, out, Rating.may_be_appropriate, text)
    elif cues:
        assert ctx.question_text is not None  # cues are read from it
        text = out.recommend("NM-04", Action.note, RatedModality.bone_scan.value,
                             "justified_question", rating=Rating.may_be_appropriate, facts=facts,
                             question=ctx.question_text.strip(), read=read_cues(out.kb, cues))
        out.rate(RatedModality.bone_scan, Rating.may_be_appropriate, "NM-04", text)
        _naf_like_bone_scan(v, out, Rating.may_be_appropriate, text)
    elif pain is False:
        # The wording, when there is one, is said not to be read as a question: the user sees why
        # the text they typed did not justify the scan (review 25 F2).
        worded = bool(ctx.question_text and ctx.question_text.strip())
        key = "routine_not_indicated_worded" if worded else "routine_not_indicated"
        text = out.recommend("NM-04", Action.not_indicated, RatedModality.bone_scan.value,
                             key, rating=Rating.usually_not_appropriate, facts=facts,
                             question=(ctx.question_text or "").strip())
        out.rate(RatedModality.bone_scan, Rating.usually_not_appropriate, "NM-04", text)
        naf = out.recommend("NM-04", Action.not_indicated, RatedModality.naf_pet_ct.value,
                            "routine_not_indicated_naf", rating=Rating.usually_not_appropriate,
                            facts=facts)
        _naf_like_bone_scan(v, out, Rating.usually_not_appropriate, naf)
    else:
        need = out.need("NM-04", "context.new_bone_pain", "does the patient have new bone pain?",
                        "le patient a-t-il une douleur osseuse nouvelle ?")
        text = out.recommend("NM-04", Action.note, RatedModality.bone_scan.value, "pain_unknown",
                             facts=facts, missing=(need,))
        out.rate(RatedModality.bone_scan, Rating.no_criteria_apply, "NM-04", text,
                 missing=(need,))


def read_cues(kb: KnowledgeBase, cues: tuple[QuestionCue, ...]) -> Text:
    """What the reader found in the wording, in words: « anomalie biologique lue : « PAL en
    hausse » » (NM-04's messages; the quick check shows the same words)."""
    rule_ = kb.rule("NM-04")
    parts = [rule_.message(f"cue_{c.kind.value}", words=c.words) for c in cues]
    return Text(en="; ".join(p.en for p in parts), fr=" ; ".join(p.fr for p in parts))


def _naf_like_bone_scan(v: CaseView, out: RuleOutput, rating: Rating, reason: Text) -> None:
    """NM-04 rates NaF-PET as it rates the bone scan: the same bone tracer mechanism (F28), so no
    routine follow-up NaF-PET either (review 13, m4). An exam the centre does not offer is not
    proposed (review C01)."""
    if rating is not Rating.usually_not_appropriate and (
            v.case.availability.naf_pet is False
            or v.asks(*(Question(q) for q in out.kb.rule("NM-13").scenarios))):
        return  # not offered; or NM-13 rates it as an option for its own questions, with its reason
    out.rate(RatedModality.naf_pet_ct, rating, "NM-04", reason)


def _targeted_after(v: CaseView, x: IndexedExam) -> IndexedExam | None:
    """A CT or MRI of the lesion's site on or after the exam that showed it (same day counts). An
    exam of another region (a staging brain MRI for a femoral lesion) does not count."""
    wanted = x.exam.lesions[0].site if len(x.exam.lesions) == 1 else None
    for other in v.done(*TARGETED):
        if other.exam.date < x.exam.date:
            continue
        imaged = {other.exam.target_site} | {lesion.site for lesion in other.exam.lesions}
        if wanted is None or wanted in imaged:
            return other
    return None


def _settled_by_biopsy(out: RuleOutput, x: IndexedExam, b: LesionBiopsy) -> None:
    """The isolated lesion's biopsy answered the question: say so, ask for nothing again."""
    site = labels.SITE[x.exam.lesions[0].site]
    result = labels.BIOPSY_RESULT[b.biopsy.result]
    facts = (*_exam_facts(x, "result"),
             Fact(path=f"{b.path}.biopsy.date", value=b.biopsy.date.isoformat()),
             Fact(path=f"{b.path}.biopsy.result", value=b.biopsy.result.value))
    key = "biopsy_benign" if b.biopsy.benign else "biopsy_metastasis"
    out.recommend("NM-09", Action.note, x.exam.id, key, facts=facts,
                  exam=labels.EXAM[x.exam.modality].en, the_exam_fr=labels.THE[x.exam.modality].fr,
                  exam_date=_day(x.exam.date), site=site, biopsy_date=_day(b.biopsy.date),
                  result=result)


def _single_focus(x: IndexedExam) -> bool:
    """The exam shows one focus: flagged isolated, a count of one, or one lesion without a count."""
    e = x.exam
    if e.isolated_lesion is not None:
        return e.isolated_lesion
    if e.hot_spot_count is not None:
        return e.hot_spot_count == 1
    return len(e.lesions) == 1


def equivocal_single_pet_focus(v: CaseView) -> IndexedExam | None:
    """The latest whole-body reading when it is a PET (FDG or NaF) whose result is equivocal with a
    single focus, bone metastases not being established: REC4's "isolated lesion on PET" whatever
    the reader's certainty (a sacral focus in an osteoporotic patient: insufficiency fracture or
    metastasis). A same-day survey showing more foci means the focus is not single. Issue 21,
    class 6; the project's reading, flagged as interpretation."""
    if bone_metastases_known(v.case, v.exams, v.as_of):
        return None
    surveys = [x for x in v.done(*WHOLE_BODY) if x.exam.result is not None]
    if not surveys:
        return None
    x = surveys[-1]
    if x.exam.modality not in PETS or x.exam.result is not Result.equivocal or not _single_focus(x):
        return None
    same_day = [o for o in surveys if o.exam.date == x.exam.date and o is not x]
    if any(o.exam.result is not Result.negative and not _single_focus(o) for o in same_day):
        return None
    if lesions_settled(v.exams, x, v.as_of):
        return None  # a biopsy of the focus answered the question (issue 21)
    return x


@rule("NM-09")
def isolated_lesion_workup(v: CaseView, out: RuleOutput) -> None:
    settled = settled_isolated_lesion(v.case, v.exams, v.as_of)
    if settled is not None:
        _settled_by_biopsy(out, *settled)
        return
    found = isolated_lesion_exam(v.case, v.exams, v.as_of)
    equivocal = False
    if found is None:
        found = equivocal_single_pet_focus(v)
        equivocal = found is not None
    isolated = [found] if found is not None else []
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
    site = labels.SITE[x.exam.lesions[0].site] if len(x.exam.lesions) == 1 else None
    done = _targeted_after(v, x)
    exam_name = labels.EXAM[x.exam.modality]
    if done is None:
        text = out.recommend(
            "NM-09", Action.targeted_imaging, x.exam.id,
            "targeted_imaging_equivocal" if equivocal else "targeted_imaging",
            rating=Rating.usually_appropriate, facts=facts, exam=exam_name.en,
            exam_fr=exam_name.fr, the_exam_fr=labels.THE[x.exam.modality].fr, exam_date=_day(x.exam.date),
            site=f" ({site.en})" if site else "", site_fr=f" ({site.fr})" if site else "",
        )
        # The site goes with the rating, so that the exam to do now is never an unnamed "targeted
        # MRI" and a rib breaks the CT/MRI tie towards CT (report/headline.py; review 25 F13).
        aim = x.exam.lesions[0].site if len(x.exam.lesions) == 1 else None
        out.rate(RatedModality.targeted_mri, Rating.usually_appropriate, "NM-09", text,
                 target_site=aim)
        out.rate(RatedModality.targeted_ct, Rating.usually_appropriate, "NM-09", text,
                 target_site=aim)
        out.recommend("NM-09", Action.specialist_opinion, x.exam.id, "specialist_opinion",
                      facts=facts)
    else:
        out.recommend(
            "NM-09", Action.specialist_opinion, x.exam.id, "targeted_done",
            facts=facts + _exam_facts(done), done_exam=labels.EXAM[done.exam.modality].en,
            done_exam_fr=labels.EXAM[done.exam.modality].fr, done_date=_day(done.exam.date),
        )


@rule("NM-10")
def spect_ct_is_targeted(v: CaseView, out: RuleOutput) -> None:
    if not v.asks(Question.staging, Question.equivocal_finding, Question.isolated_lesion):
        return
    suspicious = [
        x for x in v.done(Modality.bone_scan)
        if (x.exam.result is Result.equivocal or x.exam.is_isolated_lesion
            or any(lesion.suspicious for lesion in x.exam.lesions))
        and not _characterised(v, x)
    ]
    if suspicious:
        x = suspicious[-1]
        text = out.recommend(
            "NM-10", Action.refine_with_spect_ct, x.exam.id, "refine_suspicious",
            rating=Rating.usually_appropriate, facts=_exam_facts(x, "result"),
            scan_date=_day(x.exam.date),
        )
        out.rate(RatedModality.spect_ct, Rating.usually_appropriate, "NM-10", text)
    elif v.question is Question.staging:
        text = out.kb.rule("NM-10").message("not_survey")
        out.rate(RatedModality.spect_ct, Rating.usually_not_appropriate, "NM-10", text,
                 alternative=RatedModality.fdg_pet_ct)


def _characterised(v: CaseView, x: IndexedExam) -> bool:
    """A planar finding already looked at again (SPECT-CT, PET, CT or MRI on or after its date), or
    settled by a biopsy of its lesions (issue 21)."""
    return any(o is not x and o.exam.date >= x.exam.date for o in v.done(*CHARACTERISING)) or \
        lesions_settled(v.exams, x, v.as_of)


def _negative_scan_reasons(v: CaseView, scan: IndexedExam) -> list[tuple[str, Fact]]:
    reasons: list[tuple[str, Fact]] = []
    primary = v.case.cancer.primary_site
    if primary is not None and primary in _LOW_REACTION_PRIMARIES:
        reasons.append((_LOW_REACTION_PRIMARIES[primary],
                        Fact(path="cancer.primary_site", value=primary.value)))
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
    if v.case.cancer.diagnosis is DiagnosisStatus.none:
        return  # no cancer: nothing for a negative scan to miss
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
    scan_date = _day(scan.exam.date)
    text = rule_.messages["negative_not_exclusive"]
    rendered = Text(en=text.en.format(scan_date=scan_date.en, reasons=joined_en),
                    fr=text.fr.format(scan_date=scan_date.fr, reasons=joined_fr))
    facts = _exam_facts(scan, "result") + tuple(f for _, f in reasons)
    out.recommend("NM-11", Action.negative_not_exclusive, scan.exam.id, rendered, facts=facts)


@rule("NM-12")
def pet_for_occult_or_equivocal(v: CaseView, out: RuleOutput) -> None:
    occult = v.raised(Question.occult_disease)
    if occult is not None:
        text = out.recommend("NM-12", Action.consider_pet, RatedModality.fdg_pet_ct.value,
                             "occult", rating=Rating.usually_appropriate,
                             facts=(Fact(path=occult.source, value=Question.occult_disease.value),))
        out.rate(RatedModality.fdg_pet_ct, Rating.usually_appropriate, "NM-12", text)
    if v.asks(Question.equivocal_finding):
        # NaF-PET is a bone-tracer scan like the planar one (F28): FDG-PET characterises its
        # doubtful finding too (F27; issue 21, class 6, the project's reading).
        equivocal = [x for x in v.done(*BONE_SCANS, Modality.naf_pet_ct)
                     if x.exam.result is Result.equivocal
                     or (x.exam.result is not Result.negative
                         and any(lesion.suspicious for lesion in x.exam.lesions))]
        if not equivocal:
            if any(x.exam.result is Result.equivocal
                   or any(lesion.suspicious for lesion in x.exam.lesions) for x in v.exams):
                return  # the finding is on another exam (CT, MRI, PET): nothing missing (C07)
            need = out.need("NM-12", "exams[].result",
                            "the exam showing the equivocal finding, with its result",
                            "l'examen montrant l'anomalie douteuse, avec son résultat")
            out.missing.append(need)
            out.rate(RatedModality.fdg_pet_ct, Rating.no_criteria_apply, "NM-12",
                     out.kb.rule("NM-12").title, missing=(need,))
            return
        x = equivocal[-1]
        naf = x.exam.modality is Modality.naf_pet_ct
        text = out.recommend("NM-12", Action.consider_pet, x.exam.id,
                             "equivocal_naf" if naf else "equivocal",
                             rating=Rating.usually_appropriate, facts=_exam_facts(x, "result"),
                             scan_date=_day(x.exam.date))
        out.rate(RatedModality.fdg_pet_ct, Rating.usually_appropriate, "NM-12", text)


@rule("NM-13")
def naf_pet_is_an_option(v: CaseView, out: RuleOutput) -> None:
    scenarios = out.kb.rule("NM-13").scenarios
    asked = [q.question for q in v.questions if q.question.value in scenarios]
    if not asked:
        return
    available = v.case.availability.naf_pet
    pets = _staging_pets(v, out.kb)
    if asked == [Question.staging] and pets and pet_negative_with_sclerotic(v) is None:
        # NaF-PET is offered instead of a bone scan; once a staging FDG-PET is performed the bone
        # scan is not indicated (NM-01), so neither is its substitute.
        text = out.recommend("NM-13", Action.not_indicated, RatedModality.naf_pet_ct.value,
                             "not_after_pet", rating=Rating.usually_not_appropriate,
                             facts=_exam_facts(pets[0]), pet_date=_day(pets[0].exam.date))
        out.rate(RatedModality.naf_pet_ct, Rating.usually_not_appropriate, "NM-13", text)
        return
    message = {True: "option_available", False: "option_unavailable"}.get(
        available, "option_unknown"  # type: ignore[arg-type]
    )
    # Not offered: no rating, with the reason (review C01: a rating and its reason must agree).
    rating = Rating.no_criteria_apply if available is False else Rating.may_be_appropriate
    text = out.recommend("NM-13", Action.option, RatedModality.naf_pet_ct.value, message,
                         rating=rating,
                         facts=(Fact(path="availability.naf_pet", value=available),))
    out.rate(RatedModality.naf_pet_ct, rating, "NM-13", text)


@rule("NM-14")
def negative_pet_with_sclerotic_lesions(v: CaseView, out: RuleOutput) -> None:
    found = pet_negative_with_sclerotic(v)
    if found is None:
        return
    pet, evidence = found
    facts = _exam_facts(pet, "result") + _exam_facts(evidence, "result")
    text = out.recommend(
        "NM-14", Action.negative_not_exclusive, pet.exam.id, "not_exclusive",
        rating=Rating.may_be_appropriate, facts=facts, pet_date=_day(pet.exam.date),
        pet_result=labels.PET_RESULT[pet.exam.result].en if pet.exam.result else "",
        pet_result_fr=labels.PET_RESULT[pet.exam.result].fr if pet.exam.result else "",
        evidence_date=_day(evidence.exam.date),
        evidence=labels.THE[evidence.exam.modality].en,
        evidence_fr=labels.THE[evidence.exam.modality].fr,
    )
    out.rate(RatedModality.bone_scan, Rating.may_be_appropriate, "NM-14", text)
    out.rate(RatedModality.targeted_mri, Rating.may_be_appropriate, "NM-14", text)
    if v.case.availability.naf_pet is not False:
        out.rate(RatedModality.naf_pet_ct, Rating.may_be_appropriate, "NM-14", text)


@rule("NM-15")
def new_bone_pain_imaging(v: CaseView, out: RuleOutput) -> None:
    if not v.asks(Question.new_bone_pain):
        return
    sites = v.case.context.pain_sites
    facts = (Fact(path="context.new_bone_pain", value=True),
             Fact(path="context.pain_sites", value=", ".join(s.value for s in sites) or None))
    missing = () if sites else (out.need(
        "NM-15", "context.pain_sites", "where the new bone pain is (to aim the targeted imaging)",
        "siège de la douleur osseuse nouvelle (pour cibler l'imagerie)"),)
    where = labels.sites(sites) or Text(en="the painful site", fr="le site douloureux")
    rule_ = out.kb.rule("NM-15")
    # With a suspected cord compression the MRI is of the whole spine (SAFE-01), not the site only;
    # the sentence names the trigger the case has (re-review 25, M1: no neurological signs invented).
    if cord_compression_suspected(v):
        suffix, compression = cord_trigger_wording(v)
        named = {"compression": compression} if compression is not None else {}
        text = rule_.message(f"targeted_cord{suffix}", sites=where, **named)
    else:
        text = rule_.message("targeted", sites=where)
    out.recommend("NM-15", Action.targeted_imaging, RatedModality.targeted_mri.value, text,
                  rating=Rating.usually_appropriate, facts=facts, missing=missing)
    aim = sites[0] if len(sites) == 1 else None  # several sites: the text names them all
    out.rate(RatedModality.targeted_mri, Rating.usually_appropriate, "NM-15", text, missing=missing,
             target_site=aim)
    out.rate(RatedModality.targeted_ct, Rating.may_be_appropriate, "NM-15", text, target_site=aim)
    if v.asks(Question.staging, Question.equivocal_finding, Question.occult_disease):
        return  # NM-02 / NM-12 already rate FDG-PET for these questions, more strongly
    pet_text = out.recommend("NM-15", Action.consider_pet, RatedModality.fdg_pet_ct.value, "pet",
                             rating=Rating.may_be_appropriate, facts=facts)
    out.rate(RatedModality.fdg_pet_ct, Rating.may_be_appropriate, "NM-15", pet_text)
