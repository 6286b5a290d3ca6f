"""Scores and post-test probability over HTTP: the same functions as the CLI, errors named."""

from __future__ import annotations

import pytest
from service_harness import LiveServer

from bonemet.core.probability import calculate
from bonemet.kb import default_kb
from bonemet.model.probability import BinaryResult
from bonemet.scores import mirels


def test_mirels_over_http_equals_the_python_function(dev_server: LiveServer) -> None:
    inputs = {"site": "peritrochanteric", "pain": "functional", "lesion": "lytic", "size": "gt-2/3"}
    with dev_server.client() as http:
        r = http.post("/api/scores/mirels", json=inputs)
    assert r.status_code == 200, r.text
    answer = r.json()
    # The score as the Python function gives it, plus the bone plan's next steps (issue 23).
    steps = answer.pop("next_steps")
    assert answer == mirels.score(**inputs).model_dump(mode="json")
    assert [s["rule_id"] for s in steps] == ["SX-01"]  # Mirels 12: orthopaedic opinion (PL-03)


@pytest.mark.parametrize(("name", "body", "first"), [
    ("bilsky", {"grade": "3"}, "CC-01"), ("sins", {
        "location": "junctional", "pain": "mechanical", "lesion": "lytic", "alignment": "normal",
        "collapse": "lt-50", "posterolateral": "bilateral"}, "SP-01"),
    ("harrington", {"classification": "III"}, "SX-05"), ("frankel", {"grade": "E"}, None),
])
def test_score_answers_carry_the_plan_next_steps(dev_server: LiveServer, name: str,
                                                  body: dict[str, object], first: str | None) -> None:
    with dev_server.client() as http:
        r = http.post(f"/api/scores/{name}", json=body)
    assert r.status_code == 200, r.text
    steps = r.json()["next_steps"]
    assert (steps[0]["rule_id"] if steps else None) == first
    for s in steps:
        assert s["strength"]["en"] == "For the board to discuss" and s["statement_ids"] and s["sources"]


@pytest.mark.parametrize(("name", "body", "field"), [
    ("mirels", {"site": "moon"}, "site"),
    ("mirels", {"colour": "red"}, "colour"),
    ("sins", {"location": 3}, ""),
])
def test_bad_score_inputs_are_422_naming_the_field(dev_server: LiveServer, name: str,
                                                    body: dict[str, object], field: str) -> None:
    with dev_server.client() as http:
        r = http.post(f"/api/scores/{name}", json=body)
    assert r.status_code == 422, r.text
    problems = r.json()["problems"]
    assert problems and (not field or any(p["field"] == field for p in problems))


def test_unknown_score_is_422(dev_server: LiveServer) -> None:
    with dev_server.client() as http:
        assert http.post("/api/scores/nope", json={}).status_code == 422


def test_probability_over_http_equals_the_python_function(dev_server: LiveServer) -> None:
    kb = default_kb()
    assert kb.performance is not None
    expected = calculate(kb.performance, [("fdg_pet_ct", BinaryResult.negative)],
                         prior_id="nsclc_staging")
    with dev_server.client() as http:
        r = http.post("/api/probability", json={
            "tests": [{"modality": "fdg_pet_ct", "result": "negative"}], "prior": "nsclc_staging"})
    assert r.status_code == 200, r.text
    assert r.json() == expected.model_dump(mode="json")


@pytest.mark.parametrize(("body", "field"), [
    ({"tests": [{"modality": "xray", "result": "negative"}], "pretest": 0.3}, "test"),
    ({"tests": [{"modality": "ct", "result": "negative"}], "pretest": 3}, "pretest"),
    ({"tests": [{"modality": "ct", "result": "negative"}]}, "pretest"),
    ({"tests": []}, "tests"),
])
def test_bad_probability_inputs_are_422(dev_server: LiveServer, body: dict[str, object],
                                        field: str) -> None:
    with dev_server.client() as http:
        r = http.post("/api/probability", json=body)
    assert r.status_code == 422, r.text
    assert any(p["field"] == field for p in r.json()["problems"])
