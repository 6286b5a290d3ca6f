"""Re-review 26, U1: a regimen ordered with `groupIdentifier` (FLAURA2: osimertinib + carboplatin +
pemetrexed; KEYNOTE-407: carboplatin + paclitaxel + pembrolizumab) is read by the same regimen logic
as ungrouped orders (numbered, per-agent stops), and the administrations whose `request` points to an
order already read are joined to that order's line, never a second one. The records are the
re-reviewer's own bundles (mcode_variants/rereview26, CC0); the expectations were written from the
finding before the code."""

from __future__ import annotations

import copy
import json
from typing import Any

import mcode_examples as mx
import pytest

from bonemet.api import assess
from bonemet.fhir.to_case import case_from_fhir

_DIR = mx.VARIANTS / "rereview26"
R1 = "r1-flaura2-osimertinib-carbo-peme-carbo-stopped"
R3 = "r3-prior-breast-letrozole-lung-squamous-chemoio"
R1_SURGERY = "v1f-with-surgery"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((_DIR / f"{name}.json").read_text())
    return data


def _without(bundle: dict[str, Any], *, group: bool = False, admins: bool = False) -> dict[str, Any]:
    out = copy.deepcopy(bundle)
    kept = []
    for e in out["entry"]:
        r = e["resource"]
        if admins and r["resourceType"] == "MedicationAdministration":
            continue
        if group:
            r.pop("groupIdentifier", None)
        kept.append(e)
    out["entry"] = kept
    return out


def _lines(result):  # type: ignore[no-untyped-def]
    return [t for t in result.case.treatments if t.is_systemic_line]


R1_SHAPES = {
    "as-written": {},
    "no-group": {"group": True},
    "orders-only-group": {"admins": True},
    "orders-only-no-group": {"group": True, "admins": True},
}


@pytest.mark.parametrize("shape", sorted(R1_SHAPES))
def test_r1_is_one_first_line_of_the_tki_with_carboplatin_stopped_for_toxicity(shape: str) -> None:
    result = case_from_fhir(_without(_load(R1), **R1_SHAPES[shape]))
    (line,) = _lines(result)
    assert (line.type, line.line_number, line.end) == ("egfr_tki", 1, None)
    assert list(line.agents) == ["osimertinib", "carboplatin", "pemetrexed"]
    stops = [(s.agent, s.end.isoformat(), s.stop_reason) for s in line.stopped_agents]
    assert stops == [("carboplatin", "2026-07-15", "toxicity")]
    assert len(result.case.treatments) == 1


def test_r1_report_accounts_for_every_medication_and_says_the_stop() -> None:
    bundle = _load(R1)
    result = case_from_fhir(bundle)
    meds = {e["resource"]["id"] for e in bundle["entry"]
            if e["resource"]["resourceType"].startswith("Medication")}
    said = {x.resource_id: str(x) for x in result.report}
    assert meds <= set(said), sorted(meds - set(said))
    assert "carboplatin stopped 2026-07-15 (toxicity)" in said["r1-carbo-order"]
    for rid in meds:  # every order and dose is read into the one line, none into another
        assert "egfr_tki: osimertinib+carboplatin+pemetrexed" in said[rid], said[rid]


def test_r3_lung_line_is_numbered_with_its_ended_chemotherapy() -> None:
    result = case_from_fhir(_load(R3))
    (line,) = _lines(result)
    assert line.line_number == 1 and line.end is None
    assert set(line.agents) == {"carboplatin", "paclitaxel", "pembrolizumab"}
    assert sorted((s.agent, s.end.isoformat()) for s in line.stopped_agents) == [
        ("carboplatin", "2026-07-15"), ("paclitaxel", "2026-07-15")]


def test_an_administration_joined_to_its_order_extends_the_line_not_a_second_one() -> None:
    """The doses of a grouped regimen: one line, whose last dose date keeps it open."""
    result = case_from_fhir(_without(_load(R1), group=False))
    assert [t.id for t in result.case.treatments] == ["r1-osi"]


def _rt07(name: str) -> list[str]:
    result = case_from_fhir(_load(name))
    a = assess(result.case)
    if a.plan is None:
        return []
    return [p.text.en for p in a.plan.proposals if p.rule_id == "RT-07"]


def test_rt07_for_r1_keeps_the_tki_caution_and_never_lets_stopped_carboplatin_continue() -> None:
    texts = _rt07(R1_SURGERY)
    if not texts:
        pytest.skip("no radiotherapy proposed for R1 with its nailing: RT-07 not shown")
    joined = " ".join(texts)
    assert "osimertinib" in joined
    assert "carboplatin, pemetrexed may continue" not in joined
    assert not any("carboplatin" in t and "may continue" in t and "pemetrexed may continue" not in t
                   and "carboplatin may continue" in t for t in texts)


def test_r1_export_writes_carboplatin_stopped_once_and_every_agent_with_its_line_number() -> None:
    from bonemet.fhir.from_case import case_to_bundle

    bundle = case_to_bundle(case_from_fhir(_load(R1)).case)
    meds = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    status = {r["medicationCodeableConcept"]["text"]: r["status"] for r in meds}
    assert status == {"osimertinib": "active", "carboplatin": "stopped", "pemetrexed": "active"}
    assert len(meds) == 3
    assert all(any(x["url"].endswith("line-number") for x in r["extension"]) for r in meds)
