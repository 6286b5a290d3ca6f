"""Context of a follow-up reading: sites in words, the line type, the baseline phenotype, recent
radiotherapy and the fracture-risk pointer (caveats shown with a reading, never counted as arguments).

Part of the flare interpreter (`bonemet.core.flare`); moved out of it to keep each module readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bonemet.base.text import Text
from bonemet.kb.flare import FlareParams
from bonemet.model.case import (
    Case,
    Gene,
    Phenotype,
    RadiographFinding,
    SkeletalSite,
    Treatment,
    TreatmentType,
)
from bonemet.model.followup import Argument, ArgumentName, Direction

from .context import IndexedExam
from .flare_timeline import INCREASE, _fill, _join, _Line, _text, _Timeline

_SITES_UNRECORDED = Text(en=" (which foci increased is not recorded; sites on the scan: {names})",
                         fr=" (les foyers majorés ne sont pas précisés ; sites décrits : {names})")


def _site_label(params: FlareParams, site: SkeletalSite, level: str | None = None) -> Text:
    label = params.labels.sites[site]
    if not level:
        return label
    return _text(f"{label.en} {level}", f"{label.fr} {level}")


def _site_list(params: FlareParams, sites: Iterable[str]) -> Text:
    """Site codes (flare.yaml `labels.sites`) as words, in both languages (never raw codes)."""
    return _join([_site_label(params, SkeletalSite(x)) for x in sites], ", ")



def _sites(scan: IndexedExam, params: FlareParams,
           only: Iterable[SkeletalSite] | None = None) -> str | Text:
    """The sites whose foci increased, in words: when the per-lesion change is recorded, only the
    lesions that increased (review C18); otherwise every lesion, said to be unsorted (review C11)."""
    keep = set(only) if only is not None else None
    lesions = [x for x in scan.exam.lesions if keep is None or x.site in keep]
    recorded = any(x.change_vs_previous is not None for x in scan.exam.lesions)
    if recorded:
        lesions = [x for x in lesions if x.change_vs_previous in INCREASE]
    names: list[Text] = []
    for lesion in lesions:
        name = _site_label(params, lesion.site, lesion.level)
        if name not in names:
            names.append(name)
    if not names:
        return ""
    listed = _join(names, ", ")
    if recorded:
        return _text(f" ({listed.en})", f" ({listed.fr})")
    return _fill(_SITES_UNRECORDED, names=listed)


def _de(label: str) -> str:
    """French "de" before a treatment name, elided before a vowel or mute h ("d'osimertinib")."""
    return f"d'{label}" if label[:1].lower() in "aâàeéèêëiîïoôuûùyh" else f"de {label}"


def _caveat(params: FlareParams, key: str, **values: str | Text) -> tuple[Text, bool]:
    c = params.caveats[key]
    return _fill(c.text, **values), c.interpretation


@dataclass(frozen=True, slots=True)
class _Irradiation:
    sites: tuple[str, ...]  # increased (or candidate) sites irradiated within the window
    dates: tuple[str, ...]  # their last radiotherapy dates ("" when unrecorded)
    explains_all: bool  # every increased site is such a site (or which increased is unknown)
    needs: tuple[tuple[str, Text], ...]


_NEED_RT_DATE = Text(en="date of the radiotherapy to this site", fr="date de la radiothérapie de ce site")
_NEED_WHICH_FOCI = Text(en="which foci increased (lesions[].change_vs_previous)",
                        fr="quels foyers se sont majorés (lesions[].change_vs_previous)")


def _irradiation(tl: _Timeline, params: FlareParams, scan: IndexedExam) -> _Irradiation | None:
    """Sites irradiated within the healing window that may carry the increase (issue 11, item 4).

    Radiotherapy heals a lytic site like an effective drug does (F14); an irradiation without a date
    counts as possibly recent (the safe side). Without per-lesion changes, any listed lesion at such a
    site may be the one that increased; without any lesion listed, any recent irradiation may be.
    """
    date, window = scan.exam.date, params.radiotherapy_healing_window.days
    recent: dict[SkeletalSite, str] = {}
    needs: list[tuple[str, Text]] = []
    for i, t in enumerate(tl.case.treatments):
        if t.type is not TreatmentType.radiotherapy or t.site is None:
            continue
        if t.start is not None and t.start > date:
            continue
        last = t.end if t.end is not None and t.end <= date else (t.start if t.end is None else date)
        if last is None:
            recent.setdefault(t.site, "")
            needs.append((f"treatments[{i}].start", _NEED_RT_DATE))
        elif (date - last).days <= window:
            recent[t.site] = max(recent.get(t.site, ""), last.isoformat())
    for j, lesion in enumerate(scan.exam.lesions):
        if not lesion.irradiated:
            continue
        if lesion.irradiated_on is None:
            recent.setdefault(lesion.site, "")
            needs.append((f"{scan.path}.lesions[{j}].irradiated_on", _NEED_RT_DATE))
        elif lesion.irradiated_on <= date and (date - lesion.irradiated_on).days <= window:
            recent[lesion.site] = max(recent.get(lesion.site, ""), lesion.irradiated_on.isoformat())
    if not recent:
        return None
    lesions = scan.exam.lesions
    increased = {x.site for x in lesions if x.change_vs_previous in INCREASE}
    if increased:
        hit = sorted(increased & set(recent), key=lambda x: x.value)
        explains_all = increased <= set(recent)
    else:
        candidates = {x.site for x in lesions} or set(recent)
        hit = sorted(candidates & set(recent), key=lambda x: x.value)
        explains_all = bool(hit)
        if hit:
            needs.append((f"{scan.path}.lesions[].change_vs_previous", _NEED_WHICH_FOCI))
    if not hit:
        return None
    return _Irradiation(tuple(x.value for x in hit), tuple(recent[x] for x in hit), explains_all,
                        tuple(needs))


def _is_egfr(t: Treatment) -> bool:
    return t.type is TreatmentType.egfr_tki or t.driver is Gene.EGFR


def _context_caveats(tl: _Timeline, params: FlareParams, line: _Line, comparator: IndexedExam,
                     line_type: Text) -> list[tuple[Text, bool]]:
    """Line type and baseline phenotype: context the chapter names, never counted as arguments."""
    out: list[tuple[Text, bool]] = []
    t = line.treatment
    if t.type in params.flare_reference_line_types:
        # F16's list is one of examples and ref. 34 concerns an EGFR TKI: a reading, not an extension.
        out.append(_caveat(params, "targeted_line_type", line_type=line_type))
    elif t.type not in params.flare_described_for:
        out.append(_caveat(params, "extension_line_type", line_type=line_type))
    if _is_egfr(t):
        out.append(_caveat(params, "egfr_osteoblastic"))
    phenotypes: dict[Phenotype, list[SkeletalSite]] = {}
    for e in tl.case.exams:  # the baseline: lesions described up to the comparator
        if e.date > comparator.exam.date:
            continue
        for lesion in e.lesions:
            if lesion.phenotype is not None and lesion.site not in phenotypes.setdefault(
                    lesion.phenotype, []):
                phenotypes[lesion.phenotype].append(lesion.site)
    lytic = phenotypes.get(Phenotype.lytic, []) + phenotypes.get(Phenotype.mixed, [])
    if lytic:
        out.append(_caveat(params, "phenotype_lytic", sites=_site_list(params, lytic)))
    elif phenotypes.get(Phenotype.blastic):
        out.append(_caveat(params, "phenotype_blastic",
                           sites=_site_list(params, phenotypes[Phenotype.blastic])))
    return out


def _fracture_risk(params: FlareParams, arguments: Sequence[Argument],
                   case: Case) -> list[tuple[Text, bool]]:
    """Worsening osteolysis of a weight-bearing long bone: a labelled pointer to the fracture-risk
    score (outside the chapter; review C13), never an argument of the reading."""
    radiograph = next((a for a in arguments if a.name is ArgumentName.radiograph), None)
    if radiograph is None or radiograph.direction is not Direction.favours_progression:
        return []
    sites: list[SkeletalSite] = []
    for obs in radiograph.observations:
        e = case.exams[int(obs.path.removeprefix("exams[").rstrip("]"))]
        if (e.radiograph_finding is RadiographFinding.worsening_osteolysis and e.target_site is not None
                and e.target_site in params.weight_bearing_long_bones and e.target_site not in sites):
            sites.append(e.target_site)
    return [_caveat(params, "fracture_risk", sites=_site_list(params, sites))] if sites else []
