"""build_plan(): the bone plan section of the assessment (issue 23). Pure and deterministic.

Runs the plan rules (core/plan_surgery.py SX-, plan_spine.py SP-, plan_radiotherapy.py RT-,
plan_cord.py CC-, plan_bone_agents.py BT-/DN-/VD-) over the plan's reading of the case
(core/plan_lesions.py), then applies three
structural controls that no rule can bypass:

1. life expectancy under the short band (SX-04's param): every surgical proposal is withdrawn,
   whichever rule made it (the lesions concerned are named by SX-04's "no surgery" proposal);
2. every radiotherapy or SBRT proposal carries first the check RT-08: fracture risk on a long or
   weight-bearing bone, stability on the spine (PL-11: rule out the risk before radiotherapy);
3. order: urgent first, the cord-compression pathway first of all, then by kind.
Before the checks, proposals that say the same thing of several vertebrae are grouped into one
(naming the levels), and spine proposals of the cord-compression lesions share its urgency; the
same check for several levels is one check naming them (review 23b, N9). On the cord-compression
pathway, what the decision lacks (each level's Bilsky grade, its epidural status) is named on CC-01
and CC-02 (N10). Rules considered and not proposed are listed with their reason (N5,
core/plan_declined.py). The plan's missing data hold one item per field (each proposal keeps its
own).
"""

from __future__ import annotations

from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import labels
from bonemet.model.case import Side
from bonemet.model.plan import BonePlan, PlanCheck, PlanLesion, Proposal
from bonemet.model.scores import CaseScores
from bonemet.model.trace import MissingData

from . import plan_bone_agents as _bone  # noqa: F401  (registers BT-01..BT-05, DN-01, VD-01)
from . import plan_cord as _cord  # noqa: F401  (registers CC-01, CC-02)
from . import plan_radiotherapy as _rt  # noqa: F401  (registers RT-01, RT-03..RT-07)
from . import plan_spine as _spine  # noqa: F401  (registers SP-01..SP-05)
from . import plan_surgery as _surgery  # noqa: F401  (registers SX-01..SX-06)
from .context import CaseView
from .patient import SPINE
from .plan_cord import cord_pathway
from .plan_declined import not_proposed
from .plan_lesions import LesionRecord, read_plan
from .plan_registry import PLAN_RULES, PlanContext, PlanOutput, need

# Catalogue ids that have no function of their own: emitted by another rule or by this module.
EMITTED_BY = {"RT-02": "RT-01", "RT-03": "RT-01", "RT-09": "RT-01", "RT-08": "core/plan.py (checks)",
              "BT-06": "core/plan_bone_orders.py (the order check, CDS Hooks)"}
# Rules that run outside the référentiel's scope (any cancer): the cord-compression pathway.
_ANY_CANCER = frozenset({"CC-01", "CC-02"})
_RT_KINDS = frozenset({"radiotherapy", "sbrt"})
_KIND_ORDER = {k: i for i, k in enumerate((
    "cord_compression", "surgery", "spine", "vertebroplasty", "radiotherapy", "sbrt",
    "drug_interaction", "prognosis", "bone_targeted_agent", "vitamin_d", "dental"))}


def _check(out: PlanOutput, r: LesionRecord, no_surgery: bool) -> PlanCheck | None:
    """RT-08 for one lesion: fracture risk (long or weight-bearing bone) or stability (spine).
    An operated site is fixed already; when surgery was withdrawn (short life expectancy), an
    at-risk reading never sends the board back to a surgeon."""
    x = r.out
    if x.operated:  # a vertebra is decompressed or stabilised, not "fixed" (review 23b, N11)
        if x.site in SPINE:
            return out.check("RT-08", x.id, "spinal_stability", "reassuring", "operated_spine")
        return out.check("RT-08", x.id, "fracture_risk", "reassuring", "operated")
    at_risk_fracture = "fracture_at_risk_no_surgery" if no_surgery else "fracture_at_risk"
    if x.site in SPINE:
        s = r.sins
        if s is None or s.total is None:
            return out.check("RT-08", x.id, "spinal_stability", "to_check", "stability_to_check")
        ev = x.fracture.evidence
        if s.band.id == "stable":
            return out.check("RT-08", x.id, "spinal_stability", "reassuring", "stability_low", ev,
                             total=s.total)
        return out.check("RT-08", x.id, "spinal_stability", "at_risk",
                         "stability_at_risk_no_surgery" if no_surgery else "stability_at_risk", ev,
                         total=s.total)
    if not (x.long_bone or x.weight_bearing):
        return None
    if "pathological_fracture" in x.complications:
        return out.check("RT-08", x.id, "fracture_risk", "at_risk", at_risk_fracture,
                         x.fracture.evidence, reason=x.fracture.summary)
    h = r.harrington
    if h is not None and h.grade is not None:  # acetabulum: Harrington, never Mirels
        if x.fracture.level == "high":
            return out.check("RT-08", x.id, "fracture_risk", "at_risk", at_risk_fracture,
                             x.fracture.evidence, reason=x.fracture.summary)
        return out.check("RT-08", x.id, "fracture_risk", "to_check", "fracture_harrington",
                         x.fracture.evidence, reason=x.fracture.summary)
    if not x.long_bone:
        return out.check("RT-08", x.id, "fracture_risk", "to_check", "fracture_to_check_flat")
    m = r.mirels
    if m is None or m.total is None:
        return out.check("RT-08", x.id, "fracture_risk", "to_check", "fracture_to_check")
    if m.band.id == "low":
        return out.check("RT-08", x.id, "fracture_risk", "reassuring", "fracture_low", x.fracture.evidence,
                         total=m.total)
    return out.check("RT-08", x.id, "fracture_risk", "at_risk", at_risk_fracture,
                     x.fracture.evidence, reason=x.fracture.summary)


def _with_checks(out: PlanOutput, records: dict[str, LesionRecord], p: Proposal,
                 no_surgery: bool) -> Proposal:
    if p.kind not in _RT_KINDS:
        return p
    checks = [c for lesion in p.lesions if lesion in records
              if (c := _check(out, records[lesion], no_surgery)) is not None]
    return p.model_copy(update={"checks": _one_check_per_text([*checks, *p.checks])}) if checks else p


def _one_check_per_text(checks: list[PlanCheck]) -> tuple[PlanCheck, ...]:
    """The same check (rule, kind, status, text) for several levels is one check naming them all
    (review 23b, N9: "spine assessed stable (SINS 6)" three times for T4, T5, T6)."""
    merged: dict[tuple[object, ...], PlanCheck] = {}
    for c in checks:
        key = (c.rule_id, c.kind, c.status, c.text)
        first = merged.get(key)
        if first is None:
            merged[key] = c
            continue
        lesions = tuple(dict.fromkeys((*(first.lesions or (first.lesion,)), c.lesion, *c.lesions)))
        merged[key] = first.model_copy(update={
            "lesions": lesions, "evidence": tuple(dict.fromkeys((*first.evidence, *c.evidence)))})
    return tuple(merged.values())


def _cord_missing(c: PlanContext, records: dict[str, LesionRecord],
                  proposals: list[Proposal]) -> list[Proposal]:
    """On the cord-compression pathway, what the decision lacks is named on CC-01 and CC-02
    (review 23b, N10: a deficit recorded, the level's Bilsky grade and epidural status not)."""
    out: list[Proposal] = []
    for p in proposals:
        if p.rule_id not in ("CC-01", "CC-02"):
            out.append(p)
            continue
        missing: list[MissingData] = []
        levels = [records[x] for x in p.lesions if x in records]
        if not levels:
            missing.append(need(p.rule_id, "exams.lesions",
                                "No spinal lesion is recorded: the level on MRI and its Bilsky "
                                "grade are missing.",
                                "Aucune lésion rachidienne n'est notée : le niveau à l'IRM et son "
                                "grade de Bilsky manquent."))
        for r in levels:
            where = r.out.paths[-1]
            label = Text(en=r.out.label.en[:1].upper() + r.out.label.en[1:],
                         fr=r.out.label.fr[:1].upper() + r.out.label.fr[1:])
            if r.bilsky is None and r.bilsky_path is not None:  # graded before its surgery
                missing.append(need(p.rule_id, f"{where}.bilsky",
                                    f"{label.en}: no Bilsky grade on MRI since the operation (the "
                                    "one recorded predates it).",
                                    f"{label.fr} : pas de grade de Bilsky à l'IRM depuis "
                                    "l'intervention (celui qui est noté la précède)."))
            elif r.bilsky is None:
                missing.append(need(p.rule_id, f"{where}.bilsky",
                                    f"{label.en}: the Bilsky grade on MRI is not recorded.",
                                    f"{label.fr} : le grade de Bilsky à l'IRM n'est pas noté."))
            flags = r.latest.complications.flags() if r.latest.complications else {}
            if "epidural_extension" not in r.out.complications and \
                    flags.get("epidural_extension") is None:
                missing.append(need(p.rule_id, f"{where}.complications.epidural_extension",
                                    f"{label.en}: epidural extension is not recorded.",
                                    f"{label.fr} : l'extension épidurale n'est pas notée."))
        known = {m.field for m in p.missing_data}
        extra = tuple(m for m in missing if m.field not in known)
        out.append(p.model_copy(update={"missing_data": (*p.missing_data, *extra)}) if extra else p)
    return out


def _grouped(proposals: list[Proposal], records: dict[str, LesionRecord]) -> list[Proposal]:
    """One proposal for several vertebrae when a rule says the same thing of each (review 23 F14):
    same rule, kind, priority and text; its lesions name the levels."""
    merged: dict[tuple[object, ...], Proposal] = {}
    out: list[Proposal] = []
    for p in proposals:
        spinal = p.lesions and all(x in records and records[x].out.site in SPINE for x in p.lesions)
        key = (p.rule_id, p.kind, p.priority, p.surgical, p.text.en, p.text.fr)
        if not spinal or p.checks or key not in merged:
            if spinal and not p.checks:
                merged[key] = p
            out.append(p)
            continue
        first = merged[key]
        joined = first.model_copy(update={
            "lesions": tuple(dict.fromkeys((*first.lesions, *p.lesions))),
            "facts": (*first.facts, *p.facts),
            "missing_data": tuple(dict.fromkeys((*first.missing_data, *p.missing_data)))})
        out[out.index(first)] = joined
        merged[key] = joined
    return out


def _one_priority(proposals: list[Proposal]) -> list[Proposal]:
    """On the cord-compression pathway, the spine proposals of its lesions share its urgency
    (review 23 F11): the board does not read 'routine' inside an emergency."""
    urgent = {x for p in proposals if p.kind == "cord_compression" for x in p.lesions}
    return [p.model_copy(update={"priority": "urgent"})
            if p.kind in ("spine", "vertebroplasty") and set(p.lesions) & urgent else p
            for p in proposals]


def _dedupe(items: list[MissingData]) -> tuple[MissingData, ...]:
    """One item per field across rules (review 23b, N9: life expectancy asked once by the patient
    picture and once by SX-01): the first says it; each proposal keeps its own list."""
    seen: dict[str, MissingData] = {}
    for item in items:
        seen.setdefault(item.field, item)
    return tuple(seen.values())


def _recorded_only(v: CaseView, lesions: tuple[PlanLesion, ...]) -> list[MissingData]:
    """Issue 26 review F4: a bone site known only from the diagnosis (mCODE's secondary cancer
    condition), with no imaged lesion there, is listed for the board but is never a plan lesion: no
    Mirels, SINS, Bilsky or Harrington is read or inferred for it, so its missing characterisation
    can say nothing reassuring. RT-05 counts it among the sites (plan_radiotherapy)."""
    onc = v.case.oncology
    if onc is None or not v.is_lung:
        return []
    out: list[MissingData] = []
    for k, s in enumerate(onc.bone_metastasis_sites):
        if any(x.site is s.site and (s.side is None or x.side in (None, s.side)) for x in lesions):
            continue  # described by imaging: the lesion is on the plan
        site = labels.SITE[s.site]
        en, fr = site.en, site.fr
        if s.side:
            side = labels.side_of(s.site, Side(s.side))
            en, fr = f"{side.en} {en}", f"{fr} {side.fr}"
        if s.level:
            en, fr = f"{en} {s.level}", f"{fr} {s.level}"
        out.append(MissingData(field=f"oncology.bone_metastasis_sites[{k}]", reason=Text(
            en=f"{en[:1].upper()}{en[1:]}: site recorded in the diagnosis, not characterised by imaging. "
               "No fracture-risk, stability or epidural reading is made for it: describe it (imaging "
               "report) before a decision about this site.",
            fr=f"{fr[:1].upper()}{fr[1:]} : site noté dans le diagnostic, non caractérisé par "
               "l'imagerie. Aucune lecture du risque fracturaire, de la stabilité ou de l'épidurite "
               "n'est faite pour ce site : le décrire (compte rendu d'imagerie) avant une décision "
               "le concernant.")))
    return out


def build_plan(v: CaseView, kb: KnowledgeBase, scores: CaseScores | None) -> BonePlan | None:
    """The bone plan, or None when the case holds nothing it is about (no bone lesion, no plan
    input, no cord-compression picture): older cases keep their assessment unchanged."""
    knowledge = kb.plan
    if knowledge is None:
        return None
    view = read_plan(v, scores, kb)
    c = PlanContext(v=v, kb=kb, plan=knowledge, view=view, in_scope=v.is_lung)
    if not view.lesions and v.case.plan_inputs is None and not cord_pathway(c):
        return None
    out = PlanOutput(plan=knowledge)
    for rule_id, fn in PLAN_RULES.items():
        if c.in_scope or rule_id in _ANY_CANCER:
            fn(c, out)
    proposals = out.proposals
    band = view.picture.life_expectancy
    no_surgery = band is not None and band.value in knowledge.rule("SX-04").param(
        "short_life_expectancy")
    withdrawn = [p for p in proposals if p.surgical] if no_surgery else []
    if no_surgery:
        proposals = [p for p in proposals if not p.surgical]
    records = {r.out.id: r for r in view.lesions}
    proposals = _cord_missing(c, records, _one_priority(_grouped(proposals, records)))
    proposals = [_with_checks(out, records, p, no_surgery) for p in proposals]
    proposals.sort(key=lambda p: (p.priority != "urgent", p.kind != "cord_compression",
                                  _KIND_ORDER[p.kind]))
    lesions: tuple[PlanLesion, ...] = tuple(r.out for r in view.lesions)
    missing = [*view.picture.missing, *_recorded_only(v, lesions),
               *(m for x in lesions for axis in (x.pain, x.neurological, x.fracture)
                 for m in axis.missing),
               *(m for p in proposals for m in p.missing_data), *out.missing]
    return BonePlan(plan_version=knowledge.version, kb_version=kb.version, in_scope=c.in_scope,
                    patient=view.picture,
                    lesions=lesions, proposals=tuple(proposals),
                    not_proposed=not_proposed(c, proposals, withdrawn), missing_data=_dedupe(missing))
