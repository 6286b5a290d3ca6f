"""The fast path (elements validated once, inside the final Case) gives the checked pass's result.

`case_from_fhir(strict=False)` first maps without validating each exam, lab, lesion, status and
treatment on its own; when the whole Case is valid that is the checked result. Otherwise it falls
back to the checked pass, which skips an invalid element with its reason (or refuses the input).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.api import InputError
from bonemet.fhir import MappingContext, MappingResult, case_from_fhir, default_valuesets, to_case

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "bonemet" / "demo" / "cases" / "fhir"
P = "Patient/p1"
CONTEXT = {"phase": "follow_up", "as_of": "2025-12-01"}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    items = [{"resourceType": "Patient", "id": "p1"}, *resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in items]}


def _cea(value: float, day: str = "2025-01-01", rid: str = "o1") -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": {"reference": P},
            "code": {"coding": [{"system": "http://loinc.org", "code": "2039-6"}]},
            "effectiveDateTime": day, "valueQuantity": {"value": value, "unit": "ng/mL"}}


def _outcome(result: MappingResult | list[Any]) -> Any:
    if isinstance(result, MappingResult):
        return ("ok", result.case.model_dump(mode="json"), result.unmapped, result.assumptions)
    return ("refused", [(p.field, p.message) for p in result])


def _fast(data: Any) -> Any:
    try:
        return _outcome(case_from_fhir(data, context=CONTEXT))
    except InputError as exc:
        if any(p.message.startswith("unknown FHIR resource type") for p in exc.problems):
            return ("refused", "unknown resource type")
        return _outcome(list(exc.problems))


def _checked(data: Any) -> Any:
    """The checked pass alone (what strict mode runs after the R4 validation)."""
    problems: list[Any] = []
    resources = to_case._collect(data, problems)
    if problems:
        return _outcome(problems)
    known = to_case._r4b_type_names()
    if any(r.rt.lower() not in known or not r.rt[0].isupper() for r in resources):
        return ("refused", "unknown resource type")  # refused before any mapping pass
    ctx = MappingContext.of(CONTEXT)
    return _outcome(to_case._run(default_valuesets(), ctx, resources, data, checked=True))


def test_an_invalid_lab_is_skipped_with_its_reason_not_the_whole_case() -> None:
    data = _bundle(_cea(-1.0, rid="neg"), _cea(4.2, day="2025-02-01", rid="ok"))
    result = case_from_fhir(data, context=CONTEXT)
    assert [lab.value for lab in result.case.labs] == [4.2]
    assert any(u.resource_id == "neg" and u.path == "valueQuantity" for u in result.unmapped)
    assert _fast(data) == _checked(data)


def test_an_invalid_treatment_refuses_the_input_as_before() -> None:
    drug = {"resourceType": "MedicationStatement", "id": "m1", "status": "completed",
            "subject": {"reference": P}, "medicationCodeableConcept": {"text": "carboplatin"},
            "effectivePeriod": {"start": "2025-03-01", "end": "2025-01-01"}}
    data = _bundle(drug)
    outcome = _fast(data)
    assert outcome[0] == "refused" and "before start" in outcome[1][0][1]
    assert outcome == _checked(data)


def _ehr() -> dict[str, Any]:
    return dict(orjson.loads((EXAMPLES / "ehr-osimertinib.bundle.json").read_bytes()))


_JUNK = [None, "", "x", -1, 0, 7, 1.5, True, [], {}, "2024", "2024-13-45", "2025-01-01T10:00:00Z",
         "entered-in-error", "registered", "refuted", {"reference": "Patient/other"},
         {"coding": [{"system": "http://loinc.org", "code": "2039-6"}]}]


@st.composite
def _damaged_bundles(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(_ehr())
    for _ in range(draw(st.integers(1, 3))):
        node: Any = data["entry"][draw(st.integers(0, len(data["entry"]) - 1))]["resource"]
        for _depth in range(draw(st.integers(0, 3))):
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            child = node[draw(st.sampled_from(keys))]
            if not isinstance(child, dict | list) or not child:
                break
            node = child
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            if draw(st.booleans()):
                del node[key]
            else:
                node[key] = draw(st.sampled_from(_JUNK))
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_damaged_bundles())
def test_fast_path_equals_the_checked_pass_on_damaged_ehr_data(data: dict[str, Any]) -> None:
    assert _fast(data) == _checked(data)
