"""Spinal pain and neurological status from Conditions and Observations (issue 21, HZ-EHR-11).

EHRs record the two facts SAFE-01 (suspected cord compression) needs as problem-list Conditions
("Low back pain", "Paraparesis", "Retention of urine") and as examination Observations with a yes/no
value. The readers of each family (read_conditions, read_observations) turn each record into a
`Finding`; `context_facts` decides the case's `context.new_bone_pain`, `pain_sites` and
`neurological_deficit` from them:

* only what is current at the decision date counts: a record dated after it is not read, a
  Condition abated on or before it (or resolved with no date) is not current;
* a finding recorded present anywhere wins over a finding recorded absent (the safe reading), and
  the contradiction is reported in the mapping's assumptions with both sources named — the case has
  no place for the negative record, so this is where it stays visible (shown on the CDS cards);
* a "no" is read only from a coded finding with a no value or a refuted Condition: a free text with a
  negation word is not read either way (value sets, `exclude_text`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from bonemet.fhir.read_base import KNOWN_NOT_USED, Mapper, Res, dicts

Fact = Literal["pain", "deficit"]
# Groups of valuesets.yaml read by this module, in the order they are matched.
GROUPS = ("chronic_spinal_pain", "spinal_pain", "neuro_deficit")
_SPINE = frozenset({"cervical_spine", "thoracic_spine", "lumbar_spine", "sacrum"})
_INACTIVE = ("inactive", "resolved", "remission")
_HEDGED = ("provisional", "differential", "unconfirmed")


@dataclass(frozen=True)
class Finding:
    """One record of spinal/bone pain or of a neurological deficit, as the record states it."""

    fact: Fact
    present: bool
    r: Res
    what: str  # the concept's English name, shown in what the mapping reports
    day: dt.date | None  # onset, recorded or effective date
    until: dt.date | None = None  # abatement of a Condition
    inactive: str | None = None  # clinicalStatus inactive/resolved/remission
    sites: tuple[str, ...] = ()  # SkeletalSite values the record names (pain only); () = unlocated

    def label(self) -> str:
        return f"{self.r.label()} {self.what}" + (f" {self.day.isoformat()}" if self.day else "")


def finding(m: Mapper, r: Res, group: str, key: str, present: bool, day: dt.date | None,
            body_sites: Any = None, until: dt.date | None = None, inactive: str | None = None
            ) -> Finding | None:
    """The finding of one record whose code matched `group`/`key`, or None when it is left out
    (chronic pain is not new pain; reported)."""
    what = m.vs.concept(group, key).display.en
    if group == "chronic_spinal_pain":
        m.skip(r, "code", f"{what}: chronic pain is not new bone pain", KNOWN_NOT_USED)
        return None
    m.read(r, f"context ({what}: {'present' if present else 'absent'})")
    if group == "neuro_deficit":
        return Finding("deficit", present, r, what, day, until, inactive)
    sites: list[str] = []
    if group == "spinal_pain" and key != "unlocated":
        sites.append(key)  # the level the code names ("Neck pain" reads as cervical: docs/fhir.md)
    for i, cc in enumerate(body_sites if isinstance(body_sites, list) else [body_sites]):
        site = m.site_of(r, f"bodySite[{i}]" if isinstance(body_sites, list) else "bodySite", cc)
        if site is not None and site not in sites:
            sites.append(site)
    return Finding("pain", present, r, what, day, until, inactive, tuple(sites))


def condition_finding(m: Mapper, r: Res, group: str, key: str, verification: str | None,
                      clinical: str | None) -> Finding | None:
    """A Condition: refuted is a no; provisional, differential or unconfirmed is a yes (a suspected
    deficit is enough to suspect a cord compression; said in the assumptions)."""
    body = r.body
    day = m.date(r, ("onsetDateTime", "onsetPeriod.start", "recordedDate"), required=False)
    until = m.date(r, ("abatementDateTime", "abatementPeriod.end", "abatementPeriod.start"), required=False)
    present = verification != "refuted"
    if verification in _HEDGED and group != "chronic_spinal_pain":
        m.assume(r, "verificationStatus", f"{m.vs.concept(group, key).display.en} {verification}: "
                                          "read as present (safe reading)")
    return finding(m, r, group, key, present, day, body.get("bodySite"), until,
                   clinical if clinical in _INACTIVE else None)


def _current(m: Mapper, f: Finding, as_of: dt.date | None) -> bool:
    if as_of is not None and f.day is not None and f.day > as_of:
        m.skip(f.r, "", f"{f.what} recorded on {f.day.isoformat()}, after the decision date "
                        f"{as_of.isoformat()}: not read")
        return False
    if f.until is not None and (as_of is None or f.until <= as_of):
        m.skip(f.r, "abatement[x]", f"{f.what} abated on {f.until.isoformat()}, before the decision "
                                    "date: not current", KNOWN_NOT_USED)
        return False
    if f.inactive and f.until is None:
        m.skip(f.r, "clinicalStatus", f"{f.what} {f.inactive}: not current", KNOWN_NOT_USED)
        return False
    return True


def _decision_date(m: Mapper, params: dict[str, Any]) -> dt.date | None:
    if m.ctx.as_of is not None:
        return m.ctx.as_of
    given = params.get("as_of")
    try:
        return dt.date.fromisoformat(given) if isinstance(given, str) else None
    except ValueError:
        return None  # the case model reports the bad date with its field


def _contradiction(m: Mapper, fact: str, yes: list[str], no: list[str]) -> None:
    m.assume(None, f"context.{fact}",
             f"contradiction: {fact.replace('_', ' ')} recorded present ({'; '.join(yes)}) and absent "
             f"({'; '.join(no)}): the present reading is kept (safe reading)")


def context_facts(m: Mapper, params: dict[str, Any], findings: list[Finding]) -> dict[str, Any]:
    """`new_bone_pain`, `pain_sites` and `neurological_deficit` of the case's context. The caller's
    context wins for new_bone_pain (docs/fhir.md); bonemet's own context Parameters count as one
    more source of each fact."""
    as_of = _decision_date(m, params)
    current = [f for f in findings if _current(m, f, as_of)]
    out: dict[str, Any] = {}

    deficit = [f for f in current if f.fact == "deficit"]
    yes = [f.label() for f in deficit if f.present]
    no = [f.label() for f in deficit if not f.present]
    given = params.get("neurological_deficit")
    if given is True:
        yes.append("assessment context Parameters")
    elif given is False:
        no.append("assessment context Parameters")
    if yes:
        out["neurological_deficit"] = True
        if no:
            _contradiction(m, "neurological_deficit", yes, no)
    elif no:
        out["neurological_deficit"] = False

    pain = [f for f in current if f.fact == "pain"]
    present = [f for f in pain if f.present]
    absent = [f for f in pain if not f.present]
    if m.ctx.new_bone_pain is not None:
        out["new_bone_pain"] = m.ctx.new_bone_pain
    elif isinstance(params.get("new_bone_pain"), bool):
        out["new_bone_pain"] = params["new_bone_pain"]
    elif present:
        out["new_bone_pain"] = True
        if absent:
            _contradiction(m, "new_bone_pain", [f.label() for f in present], [f.label() for f in absent])
    elif absent:
        out["new_bone_pain"] = False
    if "pain_sites" in params:
        out["pain_sites"] = params["pain_sites"]
    elif present and out.get("new_bone_pain") is not False:
        out["pain_sites"] = _sites(m, present)
    return out


def _sites(m: Mapper, present: list[Finding]) -> list[str]:
    """The painful sites. Pain of unknown site (back pain with no level, bone pain with no body site)
    must keep counting as possibly spinal (SAFE-01): when no record names a spinal level, the sites
    are left empty so that the pain reads as unlocated, and the sites not listed are said."""
    named = list(dict.fromkeys(s for f in present for s in f.sites))  # the records' order (round trip)
    unlocated = [f for f in present if not f.sites]
    if named and unlocated and not _SPINE & set(named):
        m.assume(unlocated[0].r, "bodySite",
                 f"pain with no site ({unlocated[0].what}) next to pain at {', '.join(named)}: pain sites "
                 "left empty so that the pain counts as unlocated, possibly spinal (safe reading)")
        return []
    return named


def observation_sites(body: dict[str, Any]) -> Any:
    """Observation.bodySite is one CodeableConcept in R4 (a list is tolerated)."""
    site = body.get("bodySite")
    return dicts(site) if isinstance(site, list) else site
