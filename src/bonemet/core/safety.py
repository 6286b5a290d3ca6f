"""SAFE-01, the safety net for spinal cord compression (outside the chapter: NICE QS56/NG234/CG75),
and the contradictions between sections of the case, which are output before anything else.

Every fact is read from the patient view (core/patient.py), never from one field: a deficit
recorded as a Frankel or ASIA grade, a Tokuhashi palsy or the context's checkbox triggers the same
alert, and so does a high-grade Bilsky grade on imaging (issue 21, hazards HZ-AD-13..15).
"""

from __future__ import annotations

from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import labels
from bonemet.model.assessment import Action, Fact, RatedModality, Rating
from bonemet.model.case import DiagnosisStatus, SkeletalSite
from bonemet.model.labels import day as _day

from .context import CaseView
from .findings import RuleOutput, rule
from .patient import DerivedFact, Evidence, neural_regions, region_words


def _facts(*facts: DerivedFact) -> tuple[Fact, ...]:
    return tuple(Fact(path=e.path, value=e.value) for f in facts for e in f.evidence)


def cord_compression_suspected(v: CaseView) -> bool:
    """SAFE-01's urgent condition, in a patient with cancer: a high-grade cord compression on
    imaging; or a neurological deficit recorded anywhere, with spinal or unlocated pain, with pain
    not recorded, or on a spinal-cord grade (Frankel/ASIA A-D, Tokuhashi palsy grade the cord)."""
    if v.case.cancer.diagnosis is DiagnosisStatus.none:
        return False
    p = v.patient
    if p.compressions:
        return True
    if p.neurological_deficit.value is not True:
        return False
    return p.cord_deficit or p.pain in ("spinal", "unlocated", "not_recorded")


def cord_trigger_wording(v: CaseView) -> tuple[str, Text | None]:
    """What made SAFE-01's condition true, as the suffix of a `targeted_cord*` message and the
    compressions in words ("Bilsky 2, T9"). Re-review 25, M1: a compression seen on imaging is not a
    neurological sign, and a contradicted neurological status is said as a contradiction, never as
    its reassuring side. Only meaningful when `cord_compression_suspected(v)`."""
    p = v.patient
    deficit = p.neurological_deficit
    graded = [(f"Bilsky {c.grade.value}, {c.level}" if c.level else None, c) for c in p.compressions]
    compression = Text(
        en="; ".join(w or f"Bilsky {c.grade.value}, {labels.SITE[c.site].en}" for w, c in graded),
        fr=" ; ".join(w or f"Bilsky {c.grade.value}, {labels.SITE[c.site].fr}" for w, c in graded),
    ) if graded else None
    if deficit.contradicted:
        return ("_contradicted_compression" if p.compressions else "_contradicted"), compression
    if p.compressions:
        return ("_both" if deficit.value is True else "_compression"), compression
    return "", compression  # a recorded deficit only: the neurological signs are the trigger


def source_label(kb: KnowledgeBase, e: Evidence) -> Text:
    """A source of the neurological status in words (no raw field name or code in a sentence)."""
    rule_ = kb.rule("SAFE-01")
    if e.path == "context.neurological_deficit":
        return rule_.message("src_context_true" if e.present else "src_context_false")
    if e.path == "context.question_text":
        return rule_.message("src_question", value=e.value)
    if e.path == "score_inputs.frankel":
        return rule_.message("src_frankel", value=e.value)
    if e.path == "score_inputs.asia":
        return rule_.message("src_asia", value=e.value)
    return rule_.message(f"src_palsy_{e.value}")


def _joined(items: list[Text]) -> Text:
    return Text(en="; ".join(t.en for t in items), fr=" ; ".join(t.fr for t in items))


def _pain_contradiction(v: CaseView, out: RuleOutput) -> None:
    """"No new bone pain" next to recorded pain sites: shown under NM-15, the pain is counted."""
    pain = v.patient.bone_pain
    if not pain.contradicted:
        return
    sites = labels.sites(v.case.context.pain_sites)
    assert sites is not None  # pain sites are the only positive source besides the checkbox
    rule_ = out.kb.rule("NM-15")
    present = rule_.message("src_pain_sites", sites=sites)
    absent = rule_.message("src_no_new_pain")
    out.recommend("NM-15", Action.contradiction, "new_bone_pain", "contradiction",
                  facts=_facts(pain), priority="urgent", present=present, absent=absent)


def _where(site: SkeletalSite, level: str | None) -> Text:
    where = labels.SITE[site]
    return Text(en=f"{level} ({where.en})", fr=f"{level} ({where.fr})") if level else where


def _threatened(out: RuleOutput, prefix: str, site: SkeletalSite, level: str | None) -> Text:
    """The compression named by what its level threatens: cord, cauda equina or either."""
    words = region_words(neural_regions(site, level))
    return out.kb.rule("SAFE-01").message(f"{prefix}_{words}")


def _operated_since(v: CaseView, out: RuleOutput, facts: tuple[Fact, ...]) -> None:
    """A compression graded before a surgery of its level (core/patient.py): said, not alarmed on
    (second clinical review of issue 23, N1)."""
    for s in v.patient.superseded:
        c = s.compression
        assert s.surgery.start is not None
        out.recommend("SAFE-01", Action.note, "operated_since", "operated_since",
                      facts=(*facts, Fact(path=f"{c.path}.bilsky", value=c.grade.value),
                             Fact(path=f"{s.surgery_path}.start", value=s.surgery.start.isoformat())),
                      grade=c.grade.value, where=_where(c.site, c.level),
                      exam=labels.THE[c.exam.modality], date=_day(c.exam.date),
                      surgery_date=_day(s.surgery.start),
                      compression_now=_threatened(out, "now", c.site, c.level))


@rule("SAFE-01")
def suspected_cord_compression(v: CaseView, out: RuleOutput) -> None:
    if v.case.cancer.diagnosis is DiagnosisStatus.none:
        return
    p = v.patient
    deficit = p.neurological_deficit
    facts = (Fact(path="context.pain_sites",
                  value=", ".join(s.value for s in v.case.context.pain_sites) or None),
             *(_facts(deficit) or (Fact(path="context.neurological_deficit", value=None),)),
             *_facts(p.spinal_pain),
             *(Fact(path=f"{c.path}.bilsky", value=c.grade.value) for c in p.compressions),
             Fact(path="cancer.bone_metastases_known", value=v.case.cancer.bone_metastases_known))
    if deficit.contradicted:
        present = _joined([source_label(out.kb, e) for e in deficit.positive])
        absent = _joined([source_label(out.kb, e) for e in deficit.negative])
        out.recommend("SAFE-01", Action.contradiction, "neurological_deficit", "contradiction",
                      facts=_facts(deficit), priority="urgent", present=present, absent=absent)
    _pain_contradiction(v, out)
    _operated_since(v, out, facts)
    if not cord_compression_suspected(v):
        if deficit.value is None and p.pain in ("spinal", "unlocated"):
            need = out.need("SAFE-01", "context.neurological_deficit",
                            "neurological symptoms or signs (weakness, sensory loss, sphincter "
                            "disturbance)? With spinal pain they call for an MRI of the whole spine "
                            "within 24 hours",
                            "signes ou symptômes neurologiques (déficit moteur, troubles sensitifs, "
                            "troubles sphinctériens) ? Avec une douleur rachidienne, ils imposent une "
                            "IRM du rachis entier sous 24 heures")
            out.recommend("SAFE-01", Action.note, "neurological_examination", "ask_neurology",
                          facts=facts, missing=(need,))
        return
    if p.compressions:
        c = p.compressions[-1]
        where = _where(c.site, c.level)
        text = out.recommend("SAFE-01", Action.urgent_alert, RatedModality.targeted_mri.value,
                             "urgent_compression", rating=Rating.usually_appropriate, facts=facts,
                             priority="urgent", grade=c.grade.value, where=where,
                             compression=_threatened(out, "compression", c.site, c.level),
                             exam=labels.THE[c.exam.modality], date=_day(c.exam.date))
    elif p.pain in ("spinal", "unlocated"):
        text = out.recommend("SAFE-01", Action.urgent_alert, RatedModality.targeted_mri.value,
                             "urgent_mri", rating=Rating.usually_appropriate, facts=facts,
                             priority="urgent")
    else:
        sources = _joined([source_label(out.kb, e) for e in deficit.positive])
        text = out.recommend("SAFE-01", Action.urgent_alert, RatedModality.targeted_mri.value,
                             "urgent_mri_deficit", rating=Rating.usually_appropriate, facts=facts,
                             priority="urgent", sources=sources)
    # Management named by the same NICE sources (guideline-notes §7.4), outside the chapter.
    # Dexamethasone is for neurological symptoms or signs (NG234 §1.8): a compression seen on
    # imaging without a deficit gets the same-day specialist opinion, not steroids by default.
    management = "management" if deficit.value else "management_radiological"
    out.recommend("SAFE-01", Action.note, "management", management, facts=facts,
                  priority="urgent")
    out.rate(RatedModality.targeted_mri, Rating.usually_appropriate, "SAFE-01", text)
    # NG234: plain radiographs neither diagnose nor exclude cord compression.
    out.rate(RatedModality.radiograph, Rating.usually_not_appropriate, "SAFE-01",
             out.kb.rule("SAFE-01").message("no_radiographs"))

