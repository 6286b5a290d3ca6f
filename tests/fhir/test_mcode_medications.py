"""Issue 26, observed items 2 and 6: medication lines by agent class (WHO ATC, from the CC0 table
data/atc_anticancer.csv), drugs of one regimen started the same day one line (review F5), statusReason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcode_builders import ATC, LUNG_PRIMARY, RX, SCT, bundle, cc, med_admin, med_request

from bonemet.fhir import agent_class
from bonemet.fhir.to_case import case_from_fhir
from bonemet.fhir.valuesets import default_valuesets

TOXICITY = cc(SCT, "407563006", "Treatment not tolerated (situation)")


def _lines(result):  # type: ignore[no-untyped-def]
    return {t.type.value: t for t in result.case.treatments}


def test_an_egfr_tki_and_a_platinum_drug_ordered_the_same_day_are_one_line_the_platinum_stopped() -> None:
    """Changed by the issue-26 review (F5, F6): one regimen, one line of the targeted class, open
    while gefitinib goes on; cisplatin's stop for toxicity kept as a stopped component."""
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            med_request("g", cc(RX, "349472", "gefitinib 250 MG Oral Tablet"), "active", "2019-04-01"),
            med_request(
                "c1", cc(RX, "309311", "cisplatin 1 MG/ML Injectable Solution"), "completed", "2019-04-01"
            ),
            med_request(
                "c2",
                cc(RX, "309311", "cisplatin 1 MG/ML Injectable Solution"),
                "stopped",
                "2019-05-15",
                statusReason=TOXICITY,
            ),
        )
    )
    (line,) = r.case.treatments
    assert line.type == "egfr_tki" and set(line.agents) == {"gefitinib", "cisplatin"}
    assert line.end is None and line.line_number == 1  # gefitinib still given
    (stop,) = line.stopped_agents
    assert (stop.agent, stop.end.isoformat(), stop.stop_reason) == ("cisplatin", "2019-05-15", "toxicity")


def test_chemotherapy_and_immunotherapy_given_together_are_one_line() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            med_admin("c", cc(RX, "309311", "cisplatin 1 MG/ML Injectable Solution"), "2025-09-10"),
            med_admin("p", cc(ATC, "L01FF02", "pembrolizumab"), "2025-09-10"),
        )
    )
    (line,) = r.case.treatments
    assert line.type == "chemo_immunotherapy" and set(line.agents) == {"cisplatin", "pembrolizumab"}


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("10 ML doxorubicin hydrochloride 2 MG/ML Injection", "chemotherapy"),  # HL7's examples' displays
        ("cyclophosphamide", "chemotherapy"),
        ("anastrozole", "hormone_therapy"),
        ("vincristine", "chemotherapy"),
        ("IDArubicin", "chemotherapy"),
        ("PACLitaxel", "chemotherapy"),
        ("osimertinib 80 MG Oral Tablet", "egfr_tki"),
        ("lorlatinib", "alk_tki"),
        ("nivolumab", "immunotherapy"),
        ("ipilimumab", "immunotherapy"),
        ("bevacizumab", "other_targeted"),
        ("leuprorelin", "hormone_therapy"),
    ],
)
def test_anticancer_agents_are_recognised_by_their_atc_class(display: str, expected: str) -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, med_admin("m", cc(RX, "1", display), "2025-09-10")))
    (t,) = r.case.treatments
    assert t.type == expected


def test_an_atc_coding_alone_is_enough() -> None:
    r = case_from_fhir(bundle(LUNG_PRIMARY, med_admin("m", cc(ATC, "L01XA01"), "2025-09-10")))
    assert [(t.type.value, t.agents) for t in r.case.treatments] == [("chemotherapy", ("cisplatin",))]
    r = case_from_fhir(bundle(LUNG_PRIMARY, med_admin("m", cc(ATC, "L01XC18"), "2025-09-10")))  # pre-2022
    assert [t.type.value for t in r.case.treatments] == ["immunotherapy"]


def test_a_corticosteroid_is_not_an_anticancer_agent_and_is_said() -> None:
    r = case_from_fhir(
        bundle(LUNG_PRIMARY, med_request("p", cc(RX, "8640", "predniSONE"), "active", "2024-01-09"))
    )
    assert r.case.treatments == ()
    assert any("not an anticancer" in u.reason for u in r.unmapped)


def test_an_antiresorptive_the_case_does_not_model_is_said() -> None:
    r = case_from_fhir(
        bundle(LUNG_PRIMARY, med_admin("m", cc(ATC, "M05BA03", "pamidronic acid"), "2025-09-10"))
    )
    assert r.case.treatments == ()
    assert any("pamidronic acid" in u.reason and "does not model" in u.reason for u in r.unmapped)


def test_an_unknown_status_reason_is_reported_and_the_stop_reason_left_empty() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            med_request(
                "c",
                cc(RX, "309311", "cisplatin 1 MG/ML Injectable Solution"),
                "stopped",
                "2025-05-15",
                # a local code (160932005, used here before, is mCODE's "Financial problem": read as
                # "other" since the issue-26 review F6)
                statusReason=cc("http://example.org/stop-reasons", "x1", "Patient moved house"),
            ),
        )
    )
    (t,) = r.case.treatments
    assert t.stop_reason is None
    assert any(u.path == "statusReason" for u in r.unmapped)


def test_a_status_reason_list_on_an_administration_is_read() -> None:
    r = case_from_fhir(
        bundle(
            LUNG_PRIMARY,
            med_admin(
                "c", cc(RX, "309311", "cisplatin"), "2025-05-15", status="stopped", statusReason=[TOXICITY]
            ),
        )
    )
    (t,) = r.case.treatments
    assert t.stop_reason == "toxicity"


def test_the_curated_agent_rows_agree_with_their_atc_class() -> None:
    """bonemet's own agent rows keep their types; where ATC files the substance, the class agrees
    (ATC L01XX files a few targeted agents with the cytotoxics: those are listed)."""
    table = {a.substance.replace(" ", "_"): a for a in agent_class.all_agents()}
    in_l01xx = set()
    for concept in default_valuesets().groups["agent"]:
        found = table.get(concept.key)
        if found is None:
            continue
        if found.atc.startswith("L01XX"):
            in_l01xx.add(concept.key)
            continue
        assert concept.type == found.type, (concept.key, found.atc)
    assert in_l01xx <= {"sotorasib", "adagrasib", "lurbinectedin"}


def test_the_atc_table_is_the_cited_one() -> None:
    from importlib import resources

    head = (resources.files("bonemet.fhir") / "data" / "atc_anticancer.csv").read_text().splitlines()[:8]
    assert any("CC0-1.0" in line and "hl7-eu/unicom-ig" in line for line in head)
    assert len(agent_class.all_agents()) > 300


@given(
    st.sampled_from(["L01EB", "L01ED", "L01FF", "L01XA", "L02BG", "L01CD", "M05BA", "M05BX"]),
    st.text(alphabet="0123456789", min_size=2, max_size=2),
)
def test_an_atc_code_takes_its_longest_class_prefix(group: str, tail: str) -> None:
    kind = agent_class.atc_type(group + tail)
    expected = {
        "L01EB": "egfr_tki",
        "L01ED": "alk_tki",
        "L01FF": "immunotherapy",
        "L01XA": "chemotherapy",
        "L02BG": "hormone_therapy",
        "L01CD": "chemotherapy",
    }.get(group)
    if group.startswith("M05"):
        assert kind in ("zoledronic_acid", "denosumab", agent_class.NOT_MODELLED)
    else:
        assert kind == expected
