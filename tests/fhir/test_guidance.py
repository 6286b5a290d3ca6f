"""GuidanceResponse content and the OperationOutcome helper, validated with fhir.resources R4B."""

from __future__ import annotations

from fhir.resources.R4B.guidanceresponse import GuidanceResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome

from bonemet.api import InputError, Problem, assess, load_case
from bonemet.fhir import assessment_to_guidance, case_from_fhir, operation_outcome
from bonemet.kb import default_kb
from golden import ROOT

EXAMPLES = ROOT / "examples"


def contained(g: dict, rt: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in g["contained"] if r["resourceType"] == rt)


def test_actions_carry_rule_statements_references_and_kb_version() -> None:
    case = load_case(EXAMPLES / "11-response-early.yaml")
    result = assess(case)
    g = assessment_to_guidance(result, case, subject="Patient/123", lang="fr")
    GuidanceResponse.model_validate(g)
    assert g["subject"] == {"reference": "Patient/123"} and g["language"] == "fr"
    kb = default_kb()
    first = result.recommendations[0]
    action = contained(g, "RequestGroup")["action"][0]
    assert action["title"] == first.title.fr
    assert action["_title"]["extension"][0]["extension"][1]["valueString"] == first.title.en
    ext = {e["url"].rsplit("/", 1)[1]: e for e in action["extension"]}
    assert ext["rule-id"]["valueId"] == first.rule_id
    labels = [d.get("label") for d in action["documentation"]]
    assert first.rule_id in labels and all(s in labels for s in first.statement_ids)
    citations = [d for d in action["documentation"] if d["type"] == "citation"]
    assert [c["label"] for c in citations] == [f"[{n}]" for n in first.references]
    assert citations[0]["citation"] == kb.reference(first.references[0]).citation
    assert g["moduleCanonical"].endswith(f"{kb.info.name}|{kb.version}")


def test_missing_data_becomes_data_requirements_and_an_outcome() -> None:
    case = load_case(EXAMPLES / "10-follow-up-pain-unknown.yaml")
    result = assess(case)
    assert result.missing_data
    g = assessment_to_guidance(result, case)
    GuidanceResponse.model_validate(g)
    assert g["status"] in ("data-requested", "data-required")
    outcome = contained(g, "OperationOutcome")
    assert [i["expression"] for i in outcome["issue"]] == [[m.field] for m in result.missing_data]
    assert any(d["type"] == "Observation" for d in g["dataRequirement"])


def test_operation_outcome_from_mapping_problems() -> None:
    try:
        case_from_fhir(b"{oops")
    except InputError as exc:
        oo = operation_outcome(exc.problems)
    OperationOutcome.model_validate(oo)
    assert oo["issue"][0]["severity"] == "error" and "malformed JSON" in oo["issue"][0]["diagnostics"]
    oo = operation_outcome([Problem("Observation/x.valueQuantity", "bad unit")])
    assert oo["issue"][0]["expression"] == ["Observation/x.valueQuantity"]
    OperationOutcome.model_validate(operation_outcome([]))
