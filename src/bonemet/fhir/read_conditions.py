"""Condition: the primary cancer (site, histology, diagnosis date), bone metastases, bone and spinal
pain, neurological deficits (the last two through read_neuro).

The site is set only from evidence that names it (issue 14): a code of a site (C34, "Malignant tumour
of prostate"), a histology code that names its organ ("Adenocarcinoma of lung"), or free text where
a histology or malignancy word comes with an organ word ("Adénocarcinome pulmonaire", "Adenocarcinoma
of prostate"). A histology alone names no organ, and nothing defaults to lung: a record without such
evidence leaves `primary_site` unset and says so in the mapping's `scope`.

mCODE (issue 26) codes a cancer either with a specific code or with a generic one (363346000
malignant neoplastic disease, 128462008 metastatic malignant neoplasm) whose organ is in `bodySite`,
and its histology in the histology-morphology-behavior extension; a SecondaryCancerCondition is a
metastasis, read as bone metastases (with their skeletal sites) when its code or a body site says bone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from bonemet.fhir import read_neuro
from bonemet.fhir.read_base import KNOWN_NOT_USED, Json, Mapper, MappingScope, Res, dicts, nonempty
from bonemet.fhir.read_neuro import Finding

_NOT_DIAGNOSED = ("refuted", "provisional", "differential", "unconfirmed")
_MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
EXT_HISTOLOGY = _MCODE + "mcode-histology-morphology-behavior"
EXT_LATERALITY = _MCODE + "mcode-laterality-qualifier"
_SECONDARY_PROFILE = _MCODE + "mcode-secondary-cancer-condition"
# SNOMED CT laterality qualifiers (mCODE LateralityQualifierVS): left is in HL7's examples (V); right
# is the same value set's other member (P: one source, the value set's definition).
_LATERALITY = {"7771000": "left", "24028007": "right", "51440002": None}
_GROUPS = ("bone_metastasis", "histology", "primary_site", "bone_pain", *read_neuro.GROUPS)


def verification(body: Json) -> str | None:
    vs = body.get("verificationStatus")
    if isinstance(vs, dict):
        for coding in dicts(vs.get("coding")):
            if nonempty(coding.get("code")):
                return str(coding["code"])
    return None


def clinical(body: Json) -> str | None:
    cs = body.get("clinicalStatus")
    if isinstance(cs, dict):
        for coding in dicts(cs.get("coding")):
            if nonempty(coding.get("code")):
                return str(coding["code"])
    return None


@dataclass(frozen=True)
class Reading:
    """What one Condition.code says, from its codes first and its text second."""

    kind: Literal["cancer", "bone_metastasis", "finding"]
    site: str | None = None  # a PrimarySite value, None when nothing names the organ
    histology: str | None = None
    suspected: bool = False
    how: str = ""  # "code", "local" or "text": shown in the assumptions
    group: str = ""  # kind "finding": the value-set group and concept (bone pain, spinal pain, deficit)
    key: str = ""
    generic: str = ""  # a generic cancer code (cancer_generic key): the organ is in bodySite


def _texts(cc: Json) -> list[str]:
    out = [cc.get("text")] + [x.get("display") for x in dicts(cc.get("coding"))]
    return [t for t in out if isinstance(t, str) and t]


def read_code(m: Mapper, cc: Any) -> Reading | None:
    """The reading of one Condition.code, or None when it is none of bonemet's conditions."""
    if not isinstance(cc, dict):
        return None
    local_site = m.local_code(cc, "primary-site")
    local_hist = m.local_code(cc, "histology")
    if local_site or local_hist:  # bonemet's own codes (case_to_bundle): exact, no inference
        return Reading("cancer", local_site, local_hist, how="local")
    generic = m.match(("cancer_generic",), cc)
    if generic is not None and generic.how == "code":
        return Reading("cancer", how="code", generic=generic.concept.key)
    site: str | None = None
    histology: str | None = None
    suspected = False
    for hit in m.vs.match_codes(_GROUPS, cc):
        if hit.group == "bone_metastasis":
            return Reading("bone_metastasis", how="code")
        if hit.group == "bone_pain" or hit.group in read_neuro.GROUPS:
            return Reading("finding", how="code", group=hit.group, key=hit.concept.key)
        row = hit.row
        if row is not None and row.role == "body_structure":
            continue  # a body structure in Condition.code names no cancer
        if hit.group == "histology":
            histology = histology or hit.concept.key
            site = site or (row.primary_site if row is not None else None)
        else:
            site = site or hit.concept.key
            suspected = suspected or (row is not None and row.role == "suspected")
    texts = _texts(cc)
    if site is None and histology is None:
        for text in texts:  # "Métastases osseuses d'un adénocarcinome pulmonaire" is the metastasis
            if m.vs.match_text("bone_metastasis", text) is not None:
                return Reading("bone_metastasis", how="text")
    how = "code" if site or histology else "text"
    for text in texts:
        if histology is None:
            found = m.vs.match_text("histology", text)
            histology = found.key if found is not None else None
        if site is None:
            site = _site_of_text(m, text, histology is not None)
        suspected = suspected or m.vs.match_text("suspicion", text) is not None
    if site is None and histology is None:
        for group in ("bone_pain", *read_neuro.GROUPS):
            for text in texts:
                found = m.vs.match_text(group, text)
                if found is not None:
                    return Reading("finding", how="text", group=group, key=found.key)
        return None
    return Reading("cancer", site, histology, suspected, how)


def _site_of_text(m: Mapper, text: str, has_histology: bool) -> str | None:
    """The organ a cancer text names: a cancer phrase ("lung cancer"), or an organ word anchored by
    a histology or malignancy word ("carcinoid tumour of the lung", "malignant tumour of colon")."""
    phrase = m.vs.match_text("primary_site", text)
    if phrase is not None:
        return phrase.key
    if has_histology or m.vs.match_text("malignancy", text) is not None:
        anchored = m.vs.match_anchor("primary_site", text)
        return anchored.key if anchored is not None else None
    return None


@dataclass(frozen=True)
class _Primary:
    r: Res
    site: str | None
    histology: str | None
    onset: dt.date | None


@dataclass
class ConditionsRead:
    """What the Conditions say: the cancer, the findings, the scope and the recorded bone sites."""

    cancer: dict[str, Any]
    findings: list[Finding]
    scope: MappingScope
    bone_sites: list[dict[str, Any]]
    # Issue 26 review F5: the primaries the case does not hold (a prostate cancer beside the lung
    # one), by id() of their body, with their site: a treatment given for one of them is not a line
    # of the case's cancer. `primary_site`: the site kept (None when no primary names one).
    other_primaries: dict[int, str] = field(default_factory=dict)
    primary_site: str | None = None
    # F10: the organs of the metastases outside bone (one name per distinct organ code or text).
    extra_osseous: list[str] = field(default_factory=list)


def conditions(m: Mapper, items: list[Res]) -> ConditionsRead:
    primaries: list[_Primary] = []
    suspected_lung = False
    other_cancer = False  # a metastasis whose primary is not recorded: a cancer all the same
    bone_known: bool | None = None
    bone_sites: list[dict[str, Any]] = []
    findings: list[Finding] = []
    extra_osseous: dict[str, str] = {}
    for r in items:
        status = verification(r.body)
        if status == "entered-in-error":
            m.skip(r, "verificationStatus", "entered in error")
            continue
        reading = read_code(m, r.body.get("code"))
        secondary = _is_secondary(r.body, reading)
        if reading is None and not secondary:
            m.skip(r, "code", "condition not used by bonemet (no cancer, bone-metastasis, bone or "
                              "spinal pain, or neurological-deficit code)")
            continue
        if reading is not None and reading.kind == "finding":
            found = read_neuro.condition_finding(m, r, reading.group, reading.key, status, clinical(r.body))
            if found is not None:
                findings.append(found)
            continue
        onset = m.date(r, ("onsetDateTime", "onsetPeriod.start", "recordedDate"), required=False)
        if secondary:
            sites = _skeletal_sites(m, r, onset)
            bone = (reading is not None and reading.kind == "bone_metastasis") or bool(sites)
            if not bone:
                diagnosed = status not in ("refuted", *_NOT_DIAGNOSED)
                other_cancer = other_cancer or diagnosed
                if diagnosed:
                    organ, name = _organ(r.body)
                    extra_osseous.setdefault(organ, name)
                m.skip(r, "code", f"metastasis outside bone ({_named(r.body)}): counted in "
                                  "plan_inputs.extra_osseous_sites, not placed on the skeleton",
                       KNOWN_NOT_USED)
                continue
            if status == "refuted":
                bone_known = bone_known or False
                m.read(r, "cancer.bone_metastases_known (refuted)")
            elif status in _NOT_DIAGNOSED:
                m.skip(r, "verificationStatus", f"bone metastasis {status}: not counted as established",
                       KNOWN_NOT_USED)
            else:
                bone_known = True
                bone_sites += sites
                where = ", ".join(x["site"] for x in sites) or "sites not recorded"
                m.read(r, f"cancer.bone_metastases_known; oncology.bone_metastasis_sites ({where})")
            continue
        assert reading is not None
        if status == "refuted":
            m.skip(r, "verificationStatus", "cancer diagnosis refuted: not used", KNOWN_NOT_USED)
            continue
        if reading.generic:
            reading = _generic(m, r, reading)
        histology = _histology_ext(m, r)
        if histology is not None and reading.histology in (None, "nsclc_nos", "other"):
            reading = Reading("cancer", reading.site, histology, reading.suspected, reading.how)
        if reading.suspected or status in _NOT_DIAGNOSED:
            why = "suspected" if reading.suspected else status
            if reading.site == "lung":
                suspected_lung = True
            m.skip(r, "code" if reading.suspected else "verificationStatus",
                   f"cancer {why}, not a diagnosis: not used as the primary", KNOWN_NOT_USED)
            continue
        if reading.how == "text":
            m.assume(r, "code", f"read from the text: primary site {reading.site or 'not named'}, "
                                f"histology {reading.histology or 'not named'}")
        primaries.append(_Primary(r, reading.site, reading.histology, onset))
    cancer, chosen = _cancer(m, primaries)
    others = {id(p.r.body): p.site or "site not named" for p in primaries if p not in chosen}
    if not primaries and suspected_lung:
        # A suspected lung cancer is recorded as such (issue 17): the case stays out of the advisor's
        # scope ("scope unknown", the diagnosis named as missing) but the cord-compression alert runs.
        cancer.update(primary_site="lung", diagnosis="suspected")
    if bone_known is not None:
        cancer["bone_metastases_known"] = bone_known
    other_cancer = other_cancer or bool(bone_known)
    return ConditionsRead(cancer, findings, _scope(primaries, suspected_lung, other_cancer), bone_sites,
                          others, cancer.get("primary_site"), list(extra_osseous.values()))


def _organ(body: Json) -> tuple[str, str]:
    """The organ of a metastasis outside bone: its body site's first code (else its text), or the
    condition's own code when it names the organ (94225005 secondary of brain); key and name."""
    for bs in dicts(body.get("bodySite")):
        for coding in dicts(bs.get("coding")):
            if nonempty(coding.get("code")):
                return f"{coding.get('system')}|{coding['code']}", _named({"code": bs})
        texts = _texts(bs)
        if texts:
            return texts[0].lower(), texts[0]
    name = _named(body)
    cc = body.get("code")
    for coding in dicts(cc.get("coding")) if isinstance(cc, dict) else []:
        if nonempty(coding.get("code")):
            return f"{coding.get('system')}|{coding['code']}", name
    return name.lower(), name


def _named(body: Json) -> str:
    cc = body.get("code")
    texts = _texts(cc) if isinstance(cc, dict) else []
    return texts[0] if texts else "not named"


def _tagless(name: str) -> str:
    """'Chronic lymphoid leukemia, disease (disorder)' → 'Chronic lymphoid leukemia, disease'."""
    name = name.strip()
    if name.endswith(")") and " (" in name:
        name = name[: name.rindex(" (")]
    return name


def _is_secondary(body: Json, reading: Reading | None) -> bool:
    """A SecondaryCancerCondition: by its mCODE profile, a bone-metastasis code, or the generic
    metastatic code with a body site (the nonspecific code alone is a cancer of unknown primary)."""
    meta = body.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    if isinstance(profiles, list) and any(isinstance(p, str) and p.split("|")[0] == _SECONDARY_PROFILE
                                          for p in profiles):
        return True
    if reading is None:
        return False
    if reading.kind == "bone_metastasis":
        return True
    return reading.generic == "metastatic" and bool(dicts(body.get("bodySite")))


def _side(body_site: Json) -> str | None:
    for e in dicts(body_site.get("extension")):
        if e.get("url") == EXT_LATERALITY and isinstance(e.get("valueCodeableConcept"), dict):
            for coding in dicts(e["valueCodeableConcept"].get("coding")):
                side = _LATERALITY.get(str(coding.get("code")))
                if side:
                    return side
    return None


def _skeletal_sites(m: Mapper, r: Res, onset: dt.date | None) -> list[dict[str, Any]]:
    """The skeletal sites of a metastasis's bodySite, each once; a body site that is not one of the
    case's skeletal sites is reported (not placed on the skeleton)."""
    out: list[dict[str, Any]] = []
    for i, bs in enumerate(dicts(r.body.get("bodySite"))):
        site, level = m.site_level_of(r, f"bodySite[{i}]", bs)
        if site is None:
            vertebra = m.match(("body_site_ambiguous",), bs)
            why = ("a vertebral body whose level neither the code nor the text gives"
                   if vertebra is not None and vertebra.concept.key == "vertebral_body"
                   else "not one of bonemet's skeletal sites")
            m.skip(r, f"bodySite[{i}]", f"body site {_named({'code': bs})!r} is {why}: not placed on the "
                                        "skeleton map")
            continue
        x: dict[str, Any] = {"site": site}
        side = _side(bs)
        if side:
            x["side"] = side
        if level:
            x["level"] = level
        if onset:
            x["since"] = onset.isoformat()
        if x not in out:
            out.append(x)
    return out


def _generic(m: Mapper, r: Res, reading: Reading) -> Reading:
    """A generic cancer code: the organ from bodySite (a body-structure code, or an organ word of its
    text), the histology from the extension; `metastatic` alone names no primary."""
    site: str | None = None
    for bs in dicts(r.body.get("bodySite")):
        for hit in m.vs.match_codes(("primary_site",), bs):
            if hit.row is not None and hit.row.role == "body_structure":
                site = hit.concept.key
                break
        if site is None:
            for text in _texts(bs):
                anchored = m.vs.match_anchor("primary_site", text)
                if anchored is not None:
                    site = anchored.key
                    break
        if site is not None:
            break
    if site is None and reading.generic == "metastatic":
        m.assume(r, "code", "metastatic malignant neoplasm without its primary: a cancer of unknown "
                            "primary site (no lung assumption)")
    elif site is None:
        m.assume(r, "bodySite", "generic cancer code without a body site naming the organ: primary site "
                                "not named")
    return Reading("cancer", site, None, how="code")


def _histology_ext(m: Mapper, r: Res) -> str | None:
    """The histology of mCODE's histology-morphology-behavior extension (a SNOMED morphology)."""
    for e in m.extensions(r.body).get(EXT_HISTOLOGY, ()):
        cc = e.get("valueCodeableConcept")
        if not isinstance(cc, dict):
            continue
        hit = m.match(("histology",), cc)
        if hit is not None:
            return hit.concept.key
        m.skip(r, "extension[histology-morphology-behavior]",
               f"morphology {_named({'code': cc})!r} is not one of the case's histologies")
    return None


def _scope(primaries: list[_Primary], suspected_lung: bool, other_cancer: bool = False) -> MappingScope:
    sites = {p.site for p in primaries}
    if "lung" in sites:
        return "lung"
    if sites - {None}:
        return "other_primary"
    if suspected_lung:
        return "suspected_lung"
    # A metastasis without its primary is a cancer whose site is not named: never "no cancer".
    return "site_unknown" if primaries or other_cancer else "no_cancer"


def _cancer(m: Mapper, primaries: list[_Primary]) -> tuple[dict[str, Any], list[_Primary]]:
    cancer: dict[str, Any] = {}
    if not primaries:
        return cancer, []
    lung = [p for p in primaries if p.site == "lung"]
    named = [p for p in primaries if p.site is not None]
    chosen = lung or named[:1] or primaries
    kept = chosen[0].site
    for p in primaries:
        if p not in chosen:
            m.skip(p.r, "code", f"second primary ({p.site or 'site not named'}): the case holds one "
                                f"primary, {kept} is kept", KNOWN_NOT_USED)
    for p in chosen:
        m.read(p.r, f"cancer (primary site {kept or 'not named'}"
                    f"{', histology ' + p.histology if p.histology else ''})")
    if kept is not None:
        cancer["primary_site"] = kept
        # review F7: the name shown with the out-of-scope reason, from another system's record (a
        # bonemet export carries the field itself, in case-data)
        own = m.local_code(chosen[0].r.body.get("code"), "primary-site") is not None
        if kept != "lung" and not own:
            name = _named(chosen[0].r.body)
            if name != "not named":
                cancer["recorded_as"] = _tagless(name)[:200]
    else:
        m.assume(chosen[0].r, "code", "a cancer whose primary site no code or text names: "
                                      "primary site left unset (no lung assumption)")
    histologies = [p.histology for p in chosen if p.histology]
    specific = [h for h in histologies if h not in ("nsclc_nos", "other")]
    if histologies:
        cancer["histology"] = (specific or histologies)[0]
        if len(set(specific)) > 1:
            m.assume(chosen[0].r, "code", f"several histologies {sorted(set(specific))}: {specific[0]} kept")
    dates = [p.onset for p in chosen if p.onset]
    if dates:
        cancer["diagnosis_date"] = min(dates).isoformat()
    for p in chosen:
        m.case_data(p.r.body, cancer)
    return cancer, chosen
