"""Review 25 "which exam now" (F2, F3): the request's wording alone is no specific clinical question
(REC2), and an exam the flare window defers is "not now", with its day, never an alternative.

Expectations written from the seed before the code: REC2 « En dehors d'une question clinique
précise, la scintigraphie osseuse n'est pas indiquée pour le suivi » and F23 (no routine scan without
new bone pain); F20 « Programmer la scintigraphie osseuse de contrôle après le sixième mois ».
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.core.question_cues import Cue, question_cues
from bonemet.model import RatedModality, Rating
from factories import assess_doc, case_doc

BS = RatedModality.bone_scan

# (wording, the cue kinds a reader must find): () = no specific question.
WORDINGS = [
    ("Pas de douleur osseuse", ()),
    ("Scintigraphie de contrôle annuelle", ()),
    ("Scintigraphie osseuse de contrôle annuelle", ()),
    ("TEP de contrôle à 2 mois sous osimertinib", ()),
    ("Scintigraphie de contrôle de principe, pas de plainte", ()),
    ("no new bone pain, routine yearly scan", ()),
    ("Traitement anti-résorptif : lequel et à quelle dose, avec une clairance basse ?", ()),
    ("Douleur de la hanche droite depuis 3 semaines", (Cue.symptom, Cue.site)),
    ("PAL osseuses en hausse : rechute osseuse ?", (Cue.lab_anomaly,)),
    ("Sans douleur mais PAL en hausse", (Cue.lab_anomaly,)),
    ("Alkaline phosphatase rising: bone relapse?", (Cue.lab_anomaly,)),
    ("hypercalcaemia without known bone lesion", (Cue.lab_anomaly,)),
    ("Lésion iliaque douteuse au scanner", (Cue.finding, Cue.site)),
    ("Le patient est-il opérable ?", (Cue.decision,)),
    ("is the sacrum healing?", (Cue.site,)),
]


@pytest.mark.parametrize(("text", "kinds"), WORDINGS, ids=[w for w, _ in WORDINGS])
def test_the_reader_finds_what_the_wording_names(text: str, kinds: tuple[Cue, ...]) -> None:
    assert tuple(c.kind for c in question_cues(text)) == kinds


def _follow_up(**ctx: Any) -> dict[str, Any]:
    return case_doc("follow_up", context={"as_of": "2026-12-02", **ctx})


@pytest.mark.parametrize(("text", "kinds"), WORDINGS, ids=[w for w, _ in WORDINGS])
def test_nm04_counts_the_wording_only_when_it_names_something(
        text: str, kinds: tuple[Cue, ...]) -> None:
    """A stored case's question_text alone (new_bone_pain: false) is rated as the quick check
    reads it: the same reader decides in both places (one fact, one control)."""
    a = assess_doc(_follow_up(new_bone_pain=False, question_text=text))
    r = a.rating_of(BS)
    assert r.rule_id == "NM-04"
    if kinds:
        assert r.rating is Rating.may_be_appropriate
        assert " lu" in r.reason.fr and " read" in r.reason.en  # says what it read
    else:
        assert r.rating is Rating.usually_not_appropriate
        assert text in r.reason.en and "ne constitue pas à elle seule" in r.reason.fr


def test_review_patient_10_annual_scan_is_usually_not_appropriate() -> None:
    """Review 25 F2, patient 10 (ALK, alectinib, no pain) with the wording of the request."""
    a = assess_doc(_follow_up(new_bone_pain=False, neurological_deficit=False,
                              question_text="Scintigraphie osseuse de contrôle annuelle"))
    assert a.rating_of(BS).rating is Rating.usually_not_appropriate
    assert a.rating_of(RatedModality.naf_pet_ct).rating is Rating.usually_not_appropriate


def test_wording_with_pain_unknown_asks_for_the_pain_instead_of_counting_the_text() -> None:
    a = assess_doc(_follow_up(question_text="Scintigraphie de contrôle annuelle"))
    r = a.rating_of(BS)
    assert r.rating is Rating.no_criteria_apply
    assert [m.field for m in r.missing_data] == ["context.new_bone_pain"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["Scintigraphie", "TEP", "Scanner", "Bilan"]),
       st.sampled_from(["de contrôle", "de surveillance", "systématique", "de principe", ""]),
       st.sampled_from(["annuelle", "à 6 mois", "à 1 an", ""]))
def test_property_routine_wordings_never_justify_a_follow_up_scan(a: str, b: str, c: str) -> None:
    text = " ".join(x for x in (a, b, c) if x)
    assert question_cues(text) == ()
    assessed = assess_doc(_follow_up(new_bone_pain=False, question_text=text))
    assert assessed.rating_of(BS).rating is Rating.usually_not_appropriate


# --- F3: the flare window defers the response-assessment scan -----------------------------------

def _osimertinib(as_of: str, **ctx: Any) -> dict[str, Any]:
    """Review 25 Q1/F3: osimertinib since 07/10/2026, rated two months later."""
    return case_doc(
        "on_treatment",
        cancer={"primary_site": "lung", "histology": "adenocarcinoma",
                "driver_alterations": [{"gene": "EGFR"}], "bone_metastases_known": True},
        context={"as_of": as_of, **ctx},
        treatments=[{"id": "l1", "type": "egfr_tki", "agents": ["osimertinib"], "driver": "EGFR",
                     "start": "2026-10-07", "line_number": 1}])


@pytest.mark.parametrize("ctx", [
    {},  # pain not recorded
    {"new_bone_pain": False},
    {"new_bone_pain": True, "pain_sites": ["lumbar_spine"]},
    {"new_bone_pain": False, "question_text": "Scintigraphie de contrôle à 2 mois sous osimertinib"},
    {"new_bone_pain": False, "question_text": "Nouveaux foyers : flare ou progression ?"},
], ids=["pain-unknown", "no-pain", "new-pain", "routine-wording", "a-question"])
def test_inside_the_flare_window_the_scan_is_not_now_with_its_day(ctx: dict[str, Any]) -> None:
    a = assess_doc(_osimertinib("2026-12-07", **ctx))
    r = a.rating_of(BS)
    assert (r.rating, r.rule_id) == (Rating.usually_not_appropriate, "NM-05")
    assert r.not_before == dt.date(2027, 4, 8)  # strictly after the 07/04/2027 anniversary
    assert "08/04/2027" in r.reason.fr and "Pas maintenant" in r.reason.fr
    # The early-scan caveat stays with it (NM-07, REC5).
    assert any(x.rule_id == "NM-07" for x in a.recommendations)


def test_a_deferred_scan_is_never_the_better_alternative() -> None:
    """No rating names as its preferred alternative an exam rated 'not now' (every adapter reads
    preferred_alternative: CLI, CDS cards, the quick check)."""
    a = assess_doc(_osimertinib("2026-12-07", new_bone_pain=False,
                                question_text="TEP de contrôle à 2 mois sous osimertinib"))
    deferred = {r.modality for r in a.ratings if r.not_before is not None}
    assert deferred == {BS}
    assert all(r.preferred_alternative not in deferred for r in a.ratings)


def test_after_the_window_a_justified_scan_has_no_deferral() -> None:
    a = assess_doc(_osimertinib("2027-04-08", new_bone_pain=True, pain_sites=["pelvis"]))
    r = a.rating_of(BS)
    assert (r.rating, r.not_before) == (Rating.usually_appropriate, None)


def test_the_deferral_day_is_in_the_json_only_when_there_is_one() -> None:
    inside = assess_doc(_osimertinib("2026-12-07", new_bone_pain=False)).model_dump(mode="json")
    bs = next(r for r in inside["ratings"] if r["modality"] == "bone_scan")
    assert bs["not_before"] == "2027-04-08"
    assert all("not_before" not in r for r in inside["ratings"] if r["modality"] != "bone_scan")
