"""Treatments: medications (lines of systemic treatment, bone-targeted agents) and treatment procedures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bonemet.fhir import agent_class, read_procedures
from bonemet.fhir import common as c
from bonemet.fhir.read_base import KNOWN_NOT_USED, Json, Mapper, Res, dicts, first_date, nonempty
from bonemet.fhir.read_dose import DoseReading, dose_mg
from bonemet.model.case import BONE_AGENTS, SYSTEMIC_ANTICANCER, Treatment

_SYSTEMIC_TYPES = frozenset(t.value for t in SYSTEMIC_ANTICANCER)
_BONE_AGENT_TYPES = frozenset(t.value for t in BONE_AGENTS)
# The model's bound against a unit slip (a dose in µg typed as mg): a dose over it is reported, not
# passed on to refuse the whole record.
_DOSE_MAX_MG = float(next(x.le for x in Treatment.model_fields["dose_mg"].metadata if hasattr(x, "le")))


@dataclass(slots=True)
class _Med:
    r: Res
    agent: str | None
    type: str
    start: dt.date | None
    end: dt.date | None
    key: str | None
    status: str | None = None
    dose: DoseReading | None = None  # bone-targeted agents only (issue 24); None: no dosage element
    stop_reason: str | None = None  # from statusReason (issue 26): a StopReason value
    group: str | None = None  # a foreign groupIdentifier: the orders of one regimen (re-review 26 U1)
    order: _Med | None = None  # the order an administration's `request` points to, when read


def _medication_cc(m: Mapper, r: Res) -> Any:
    if isinstance(r.body.get("medicationCodeableConcept"), dict):
        return r.body["medicationCodeableConcept"]
    target = m.resolve(r.body.get("medicationReference"))
    if target is not None and target.rt == "Medication":
        m.read(target, f"treatments (the medication of {r.label()})")
        return target.body.get("code")
    return None


@dataclass(frozen=True, slots=True)
class Primaries:
    """What the Conditions said of the cancers (issue 26 review F5): the site of the primary the case
    holds, and the other primaries by id() of their body, with their site."""

    kept_site: str | None = None
    others: dict[int, str] | None = None


def treatments(m: Mapper, buckets: dict[str, list[Res]],
               primaries: Primaries = Primaries()) -> list[dict[str, Any]]:
    """Lines and courses from the medication and procedure resources (docs/fhir.md, "Lines").

    Resources the bonemet writer linked (treatment identifier) are one treatment each, as written.
    Orders sharing a `groupIdentifier` are one regimen, read as a line like the others (numbered,
    per-agent stops), and an administration whose `request` points to an order read here joins that
    order's treatment (re-review 26 U1). The others are one per administration in most exports, so
    they are grouped: systemic agents into lines (a gap of more than `line_gap_days` or a switch to
    agents sharing none with the line starts a new one), bone-targeted agents into episodes by the
    same gap, and radiotherapy procedures into courses (`course_gap_days`, same site).
    """
    rules = m.vs.rules
    meds: list[_Med] = []
    for rt in ("MedicationStatement", "MedicationRequest", "MedicationAdministration"):
        for r in buckets.get(rt, []):
            med = _med(m, r)
            if med is not None:
                meds.append(med)
    procedures = [(r, t) for r in buckets.get("Procedure", []) if id(r.body) not in m.consumed
                  for t in [read_procedures.procedure_treatment(m, r)] if t is not None]
    for r, t in procedures:
        m.read(r, f"treatments ({t['type']}{' at ' + t['site'] if t.get('site') else ''}, "
                  f"from {t.get('start', 'undated')})")
    as_of = m.ctx.as_of or _latest(meds, procedures)
    keyed: dict[str, list[_Med]] = {}
    systemic: list[_Med] = []
    episodic: dict[tuple[str, str | None], list[_Med]] = {}
    meds = [x for x in meds if not _for_another_primary(m, x, primaries)]
    _join_to_orders(m, meds)
    regimens: dict[str, list[_Med]] = {}
    for med in meds:
        if med.key is not None:
            keyed.setdefault(med.key, []).append(med)
        elif med.group is not None and med.type in _SYSTEMIC_TYPES and med.start is not None:
            regimens.setdefault(med.group, []).append(med)
        elif med.start is None:
            keyed.setdefault(f"agent:{med.type}:{med.agent}", []).append(med)
        elif med.type in _SYSTEMIC_TYPES:
            systemic.append(med)
        else:
            episodic.setdefault((med.type, med.agent), []).append(med)
    placed: list[tuple[int, dict[str, Any]]] = []
    for members in keyed.values():
        built = _treatment(m, members)
        if built is not None:
            placed.append((min(x.r.pos for x in members), built))
            _read_into(m, members, built)
    # Issue 26 review F5: the agents of one regimen, whatever their class, are one line when started
    # within `regimen_window_days` (osimertinib + carboplatin/pemetrexed, letrozole + palbociclib);
    # its type is that of its targeted agent when it has one (the flare caveats read it).
    lines = _split(systemic, rules.line_gap_days, switch=True, window=rules.regimen_window_days)
    lines += [sorted(xs, key=lambda x: (x.start or dt.date.min, x.r.pos)) for xs in regimens.values()]
    for series in episodic.values():
        lines += _split(series, rules.line_gap_days, switch=False)
    derived: list[dict[str, Any]] = []
    for members in lines:
        line = _treatment(m, members, as_of=as_of, derive=True)
        if line is not None:
            placed.append((min(x.r.pos for x in members), line))
            derived.append(line)
            _read_into(m, members, line)
    placed += read_procedures.courses(m, procedures, rules.course_gap_days)
    out = [t for _, t in sorted(placed, key=lambda p: p[0])]
    _number_lines(m, out, derived)
    ids: set[str] = set()
    for t in out:
        base, n = t["id"], 2
        while t["id"] in ids:
            t["id"], n = f"{base}-{n}", n + 1
        ids.add(t["id"])
    return out


def _join_to_orders(m: Mapper, meds: list[_Med]) -> None:
    """An administration whose `request` is an order read here is a dose of that order: it takes the
    order's treatment identifier or regimen group, so its dates extend or confirm that treatment and
    never start a second one (re-review 26 U1: the doses of a grouped FLAURA2 regimen)."""
    orders = {id(x.r.body): x for x in meds if x.r.rt == "MedicationRequest"}
    for x in meds:
        if x.r.rt != "MedicationAdministration" or not isinstance(x.r.body.get("request"), dict):
            continue
        target = m.resolve(x.r.body["request"])
        order = orders.get(id(target.body)) if target is not None else None
        if order is None:
            continue
        x.order = order
        if x.key is None and order.key is not None:
            x.key = order.key
        if x.group is None:
            x.group = order.group


def _for_another_primary(m: Mapper, x: _Med, primaries: Primaries) -> bool:
    """A systemic drug given for another primary (reasonReference to it, or a reasonCode naming
    another cancer's site) is not a line of the case's cancer: reported, kept out of the lines and
    their numbering (leuprolide for a prostate cancer beside a lung one). Bone-targeted agents stay
    whatever their reason: a second antiresorptive is one whatever it was given for."""
    if x.type not in _SYSTEMIC_TYPES:
        return False
    b = x.r.body
    refs = [m.resolve(ref) for ref in dicts(b.get("reasonReference"))]
    targets = [t for t in refs if t is not None and t.rt == "Condition"]
    others = primaries.others or {}
    site: str | None = None
    path = "reasonReference"
    if targets and all(id(t.body) in others for t in targets):
        site = others[id(targets[0].body)]
    elif not targets and primaries.kept_site is not None:
        from bonemet.fhir.read_conditions import read_code  # a reason coded as a cancer

        for i, cc in enumerate(dicts(b.get("reasonCode"))):
            reading = read_code(m, cc)
            if reading is not None and reading.kind == "cancer" and reading.site is not None \
                    and reading.site != primaries.kept_site:
                site, path = reading.site, f"reasonCode[{i}]"
                break
    if site is None:
        return False
    m.skip(x.r, path, f"{x.agent or x.type} given for another primary ({site}), not for the "
                      f"{primaries.kept_site or 'recorded'} cancer: kept out of the lines and their "
                      "numbering", KNOWN_NOT_USED)
    return True


def _read_into(m: Mapper, members: list[_Med], t: dict[str, Any]) -> None:
    what = "+".join(t.get("agents", ())) or t["type"]
    stops = {s["agent"]: s for s in t.get("stopped_agents", ())}
    for x in members:
        stop = stops.get(x.agent or "")
        said = (f"; {stop['agent']} stopped {stop['end']}"
                f"{' (' + stop['stop_reason'] + ')' if stop.get('stop_reason') else ''}, the line going on"
                if stop else "")
        m.read(x.r, f"treatments ({t['type']}: {what}, from {t.get('start', 'undated')}{said})")


def _latest(meds: list[_Med], procedures: list[tuple[Res, dict[str, Any]]]) -> dt.date | None:
    """The decision date when the caller gives none: the latest treatment date of the record."""
    days = [d for x in meds for d in (x.start, x.end) if d]
    days += [dt.date.fromisoformat(t[k]) for _, t in procedures for k in ("start", "end") if t.get(k)]
    return max(days) if days else None


def _agent_id(x: _Med) -> str:
    return x.agent or x.type


def _split(series: list[_Med], gap_days: int, switch: bool, window: int = 0) -> list[list[_Med]]:
    """Consecutive administrations in groups: a gap over `gap_days` ends one; with `switch`, so does
    a day whose agents share none with the group's (carboplatin+pemetrexed → docetaxel), unless it
    is within `window` days of the group's first day (the other components of one regimen)."""
    by_day: dict[dt.date, list[_Med]] = {}
    for x in sorted(series, key=lambda x: (x.start or dt.date.min, x.r.pos)):
        if x.start is not None:
            by_day.setdefault(x.start, []).append(x)
    groups: list[list[_Med]] = []
    agents: set[str] = set()
    last: dt.date | None = None
    first: dt.date | None = None
    for day, members in by_day.items():
        named = {_agent_id(x) for x in members}
        new = (last is None or first is None or (day - last).days > gap_days
               or (switch and agents.isdisjoint(named) and (day - first).days > window))
        if new:
            groups.append([])
            agents = set()
            first = day
        groups[-1].extend(members)
        agents |= named
        last = max(day, *(x.end for x in members if x.end)) if any(x.end for x in members) else day
    return groups


def _number_lines(m: Mapper, out: list[dict[str, Any]], derived: list[dict[str, Any]]) -> None:
    """Number the systemic lines derived here, in date order, when the record numbers none."""
    if any("line_number" in t for t in out):
        return
    lines = sorted((t for t in derived if t["type"] in _SYSTEMIC_TYPES), key=lambda t: t.get("start", ""))
    for i, t in enumerate(lines, 1):
        t["line_number"] = i
    if lines:
        m.assume(None, "treatments", f"{len(lines)} systemic line(s) numbered from the record's dates "
                                     "(lines given before this record are not counted)")


def _med(m: Mapper, r: Res) -> _Med | None:
    b = r.body
    status = b.get("status")
    if status in ("entered-in-error", "cancelled", "not-taken", "draft", "unknown", "not-done"):
        m.skip(r, "status", f"status {status}: not a treatment given")
        return None
    if r.rt == "MedicationRequest" and b.get("intent") in ("proposal", "plan"):
        m.skip(r, "intent", f"intent {b.get('intent')}: not prescribed")
        return None
    cc = _medication_cc(m, r)
    declared = m.ext(b, c.EXT_TREATMENT_TYPE)
    hit = m.match(("agent", "agent_class"), cc)
    local_type = m.local_code(cc, "treatment-type")
    agent: str | None = None
    ttype: str | None = declared if isinstance(declared, str) else None
    own = m.identifier(b, c.ID_TREATMENT)
    if local_type:  # bonemet's own marker of a treatment recorded without its agents
        ttype = ttype or local_type
    elif hit is not None and hit.group == "agent":
        text = cc.get("text") if isinstance(cc, dict) else None
        agent = str(text) if own and isinstance(text, str) and text else hit.concept.key
        ttype = ttype or hit.concept.type
    elif hit is not None:
        agent = (cc.get("text") if isinstance(cc, dict) else None) or hit.concept.key
        ttype = ttype or hit.concept.key
    elif own and isinstance(cc, dict) and nonempty(cc.get("text")) and ttype:
        agent = str(cc["text"])
    elif ttype is None:  # not one of bonemet's agent rows: the WHO ATC class decides (issue 26)
        found = _atc_agent(cc)
        if found is not None and found.type == agent_class.NOT_MODELLED:
            m.skip(r, "medication[x]", f"{found.substance} (ATC {found.atc}) is an antiresorptive bonemet "
                                       "does not model (only zoledronic acid and denosumab)", KNOWN_NOT_USED)
            return None
        if found is not None:
            agent, ttype = found.key, found.type
            m.assume(r, "medication[x]", f"{found.substance}: {found.type.replace('_', ' ')} by its WHO ATC "
                                         f"class {found.atc}")
    if ttype is None:
        m.skip(
            r, "medication[x]", "medication not used by bonemet (not an anticancer or bone-targeted agent)"
        )
        return None
    if r.rt == "MedicationRequest":
        raw_dispense = b.get("dispenseRequest")
        dispense: Json = raw_dispense if isinstance(raw_dispense, dict) else {}
        _, vp = first_date(dispense, "validityPeriod.start")
        start, _ = c.parse_date(vp)
        if start is None:
            start = m.date(r, ("authoredOn",), required=False)
        _, ve = first_date(dispense, "validityPeriod.end")
        end, _ = c.parse_date(ve)
        if end is None:  # the dosage's bounds: "until" as the prescriber wrote it (review F6)
            end = _bounds_end(b)
    else:
        start = m.date(r, ("effectivePeriod.start", "effectiveDateTime"), required=False)
        end = m.date(r, ("effectivePeriod.end",), required=False)
    group = b.get("groupIdentifier")
    regimen = (f"group:{group.get('system')}|{group.get('value')}"
               if isinstance(group, dict) and nonempty(group.get("value")) else None)
    m.consumed.add(id(b))
    dose = _dose(b, r.rt) if ttype in _BONE_AGENT_TYPES else None
    return _Med(r, agent, ttype, start, end, f"id:{own}" if own else None,
                status if isinstance(status, str) else None, dose, _stop_reason(m, r), regimen)


def _atc_agent(cc: Any) -> agent_class.AtcAgent | None:
    if not isinstance(cc, dict):
        return None
    for coding in dicts(cc.get("coding")):
        system = coding.get("system")  # junk (an object) is no system: it must not be hashed
        if isinstance(system, str) and system in agent_class.ATC_SYSTEMS and nonempty(coding.get("code")):
            found = agent_class.by_atc_code(str(coding["code"]))
            if found is not None:
                return found
    texts = [cc.get("text")] + [x.get("display") for x in dicts(cc.get("coding"))]
    for text in texts:
        if isinstance(text, str) and text:
            found = agent_class.by_text(text)
            if found is not None:
                return found
    return None


def _bounds_end(body: Json) -> dt.date | None:
    """The latest `dosageInstruction[].timing.repeat.boundsPeriod.end` of an order, if every dosage
    line has one (a dosage without an end keeps the order open)."""
    found: list[dt.date] = []
    dosages = dicts(body.get("dosageInstruction"))
    for d in dosages:
        timing = d.get("timing")
        repeat = timing.get("repeat") if isinstance(timing, dict) else None
        bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
        day, _ = c.parse_date(bounds.get("end")) if isinstance(bounds, dict) else (None, None)
        if day is None:
            return None
        found.append(day)
    return max(found) if found else None


def _stop_reason(m: Mapper, r: Res) -> str | None:
    """statusReason (MedicationRequest: one CodeableConcept; Administration/Statement: a list)."""
    raw = r.body.get("statusReason")
    for i, cc in enumerate(raw if isinstance(raw, list) else [raw]):
        if not isinstance(cc, dict):
            continue
        hit = m.match(("stop_reason",), cc)
        if hit is not None:
            return hit.concept.key
        m.skip(r, "statusReason" + (f"[{i}]" if isinstance(raw, list) else ""),
               "reason not recognised (toxicity, progression, completed, or another of mCODE's "
               "termination reasons): stop reason left empty")
    return None


def _dose(body: Json, resource_type: str) -> DoseReading | None:
    """The dose on one administration; None when it records no dosage at all (nothing to report)."""
    key = "dosage" if resource_type != "MedicationRequest" else "dosageInstruction"
    if body.get(key) is None:
        return None
    return dose_mg(body, resource_type)


def _episode_dose(m: Mapper, members: list[_Med], ttype: str, out: dict[str, Any]) -> None:
    """Treatment.dose_mg: the dose of the last administration that records one (issue 24). Doses
    that differ within the episode are said (the last is kept); an unreadable one is reported and
    the dose left empty, never taken from an earlier administration."""
    dosed = sorted((x for x in members if x.dose is not None),
                   key=lambda x: (x.start or dt.date.min, x.r.pos))
    if not dosed:
        return
    last = dosed[-1]
    reading = last.dose
    assert reading is not None
    name = ttype.replace("_", " ")
    if reading.mg is None:
        m.skip(last.r, reading.path or "dosage", f"{name} dose not read: {reading.reason}; "
                                                 "Treatment.dose_mg left empty (an earlier dose is not "
                                                 "carried over)")
        return
    if reading.mg > _DOSE_MAX_MG:
        m.skip(last.r, reading.path or "dosage", f"{name} dose {reading.mg:g} mg is over "
                                                 f"{_DOSE_MAX_MG:g} mg, bonemet's bound for a unit slip: "
                                                 "not read")
        return
    out["dose_mg"] = reading.mg
    earlier = {x.dose.mg for x in dosed[:-1] if x.dose is not None and x.dose.mg is not None}
    others = sorted(earlier - {reading.mg})
    if others:
        shown = ", ".join(f"{d:g}" for d in others)
        m.assume(last.r, "dosage", f"{name} doses differ within the episode ({shown} mg before): the "
                                   f"last administration's dose, {reading.mg:g} mg, is kept")


# A regimen with a targeted agent is a line of that targeted therapy (issue 26 review F5): the flare
# caveats (an EGFR TKI's osteoblastic response, the targeted-therapy reading) must still apply to
# osimertinib + carboplatin/pemetrexed; its chemotherapy agents stay named in `agents`.
_TARGETED_FIRST = ("egfr_tki", "alk_tki", "other_targeted")


def _combined_type(types: list[str]) -> str:
    kinds = set(types)
    for targeted in _TARGETED_FIRST:
        if targeted in kinds:
            return targeted
    if kinds == {"chemotherapy", "immunotherapy"} or "chemo_immunotherapy" in kinds:
        return "chemo_immunotherapy"
    return types[0]


def _treatment(m: Mapper, members: list[_Med], as_of: dt.date | None = None,
               derive: bool = False) -> dict[str, Any] | None:
    lead = members[0]
    declared = m.ext(lead.r.body, c.EXT_TREATMENT_TYPE)
    ttype = declared if isinstance(declared, str) else _combined_type([x.type for x in members])
    agents: list[str] = []
    for x in members:
        if x.agent and x.agent not in agents:
            agents.append(x.agent)
    own = m.identifier(lead.r.body, c.ID_TREATMENT)
    out: dict[str, Any] = {"id": own or lead.r.id or f"treatment-{ttype}", "type": ttype}
    classes = sorted({x.type for x in members})
    if derive and not isinstance(declared, str) and len(classes) > 1:
        how = ("ordered together (groupIdentifier)" if lead.group is not None
               and all(x.group == lead.group for x in members)
               else f"started within {m.vs.rules.regimen_window_days} days")
        m.assume(lead.r, "medication[x]", f"{' + '.join(classes)} {how}: one regimen, one line of "
                                          f"type {ttype}")
    if agents:
        out["agents"] = agents
    starts = [x.start for x in members if x.start]
    ends = [x.end for x in members if x.end]
    if starts:
        out["start"] = min(starts).isoformat()
    if derive:
        _derive_end(m, members, out, as_of)
    elif ends and len(ends) == len(members):
        out["end"] = max(ends).isoformat()
    if "end" in out:  # why the line ended: the reason recorded on its latest administration
        last = max(members, key=lambda x: (x.start or dt.date.min, x.r.pos))
        if last.stop_reason:
            out["stop_reason"] = last.stop_reason
    line = m.ext(lead.r.body, c.EXT_LINE)
    if isinstance(line, int) and not isinstance(line, bool):
        out["line_number"] = line
    if ttype in _BONE_AGENT_TYPES:
        _episode_dose(m, members, ttype, out)
    m.case_data(lead.r.body, out)
    if not m.checked:
        return out
    try:
        Treatment.model_validate(out)
    except ValidationError as exc:
        m.problem(lead.r, "effective[x]", exc.errors()[0]["msg"].removeprefix("Value error, "))
        return None
    return out


# Oral targeted and hormone therapies are ordered once for months: an active order of one keeps its
# line open even when a later record of another agent of the line (a chemotherapy cycle) is dated.
_CONTINUOUS = frozenset({"egfr_tki", "alk_tki", "other_targeted", "hormone_therapy"})


def _derive_end(m: Mapper, members: list[_Med], out: dict[str, Any], as_of: dt.date | None) -> None:
    """Open (no end) while the line runs; otherwise ended at the latest date recorded (an explicit
    end, or the last administration). Reading a running drug as ended hides it (a second
    antiresorptive, a pause before radiotherapy, the phase): when in doubt the line stays open and
    the doubt is said (issue 26 review, F1). A component stopped while the others go on is kept in
    `stopped_agents` with its end and reason (review F6)."""
    _line_end(m, members, out, as_of)
    _stopped_components(m, members, out, as_of)


def _line_end(m: Mapper, members: list[_Med], out: dict[str, Any], as_of: dt.date | None) -> None:
    ends = [x.end for x in members if x.end]
    if ends and len(ends) == len(members):  # every administration has its end: the record decides
        out["end"] = max(ends).isoformat()
        return
    rules = m.vs.rules
    last_day = max(x.start for x in members if x.start)
    latest = [x for x in members if x.start == last_day]
    per_agent: dict[str, _Med] = {}
    for x in sorted(members, key=lambda x: (x.start or dt.date.min, x.r.pos)):
        per_agent[_agent_id(x)] = x  # each agent's latest record says whether it still runs
    active = [x for x in per_agent.values() if x.status in rules.ongoing_statuses and x.end is None
              and (x.start == last_day or x.type in _CONTINUOUS)]
    old = as_of is not None and (as_of - last_day).days > rules.line_gap_days
    if active and old and out.get("type") == "chemotherapy":
        # cytotoxic chemotherapy is ordered cycle by cycle: an order left active long after the last
        # cycle is a record never closed (issue 14 corpus a23), not months of chemotherapy
        m.assume(active[0].r, "status", f"still {active[0].status} but last dated {last_day}, more than "
                                        f"{rules.line_gap_days} days before {as_of}: chemotherapy read "
                                        "as ended then")
    elif active:  # an order or a statement still active: running, however old
        if old:
            m.assume(active[0].r, "status", f"still {active[0].status}, dated {last_day}, more than "
                                            f"{rules.line_gap_days} days before {as_of}: read as still "
                                            "running; check that it is")
        return
    given = all(x.r.rt == "MedicationAdministration" for x in members)
    stopped = any(x.status == "stopped" or x.stop_reason for x in latest)
    if given and not stopped and as_of is not None and 0 <= (as_of - last_day).days <= (
            rules.recent_administration_days):
        m.assume(latest[0].r, "effective[x]", f"last given {last_day}, {(as_of - last_day).days} days "
                                              f"before {as_of}, no stop recorded: read as still running")
        return
    out["end"] = max([last_day, *ends]).isoformat()


def _governing(x: _Med) -> _Med:
    """The record that says whether an agent still runs: a dose given under an order that was
    stopped, completed or bounded, on or before that order's end, is governed by the order (the
    carboplatin order stopped for toxicity after its last dose; re-review 26 U1)."""
    order = x.order
    if order is None:
        return x
    ended = order.status in ("stopped", "completed") or order.stop_reason is not None or order.end is not None
    if ended and (order.end is None or x.start is None or x.start <= order.end):
        return order
    return x


def _stopped_components(m: Mapper, members: list[_Med], out: dict[str, Any], as_of: dt.date | None) -> None:
    """The agents of a line of several that stopped before it (review F6): an agent whose latest
    record is stopped or gives a stop reason, or an order/statement completed or ended (an
    administration is completed by nature: that alone is no stop). An end after the decision date
    is still to come: the agent runs."""
    if len(out.get("agents", ())) < 2:
        return
    line_end = dt.date.fromisoformat(out["end"]) if "end" in out else None
    by_agent: dict[str, list[_Med]] = {}
    for x in members:
        if x.agent:
            by_agent.setdefault(x.agent, []).append(x)
    stopped: list[dict[str, Any]] = []
    for agent, xs in by_agent.items():
        last = _governing(max(xs, key=lambda x: (x.start or dt.date.min, x.r.pos)))
        ended = last.status == "stopped" or last.stop_reason is not None or (
            last.r.rt != "MedicationAdministration" and (last.status == "completed" or last.end is not None))
        days = [d for x in xs for d in (x.start, x.end) if d]
        if not ended or not days:
            continue
        end = max(days)
        if (as_of is not None and end > as_of) or (line_end is not None and end >= line_end):
            continue
        entry: dict[str, Any] = {"agent": agent, "end": end.isoformat()}
        if last.stop_reason:
            entry["stop_reason"] = last.stop_reason
        stopped.append(entry)
    if stopped and len(stopped) == len(by_agent) and line_end is None:
        # every agent stopped: the line itself has ended, on the last of their stops
        last_stop = max(stopped, key=lambda e: e["end"])
        out["end"] = last_stop["end"]
        if last_stop.get("stop_reason"):
            out["stop_reason"] = last_stop["stop_reason"]
        return
    if stopped:
        out["stopped_agents"] = sorted(stopped, key=lambda e: (e["end"], e["agent"]))
