"""The editor's words (issue 13, defect 4): labels as on screen, messages in the user's language,
ids generated, dates converted only for the model, the "new lesion" answer."""

from __future__ import annotations

import pytest

from bonemet.web import editor_errors, forms


@pytest.mark.parametrize(("path", "lang", "label"), [
    ("exams[0].date", "en", "Exam 1 — Date"),
    ("exams[1].lesions[0].site", "en", "Exam 2 — Lesion 1 — Site"),
    ("context.phase", "fr", "Phase"),
    ("treatments[0].start", "fr", "Traitement 1 — Début"),
    ("case_id", "fr", "Identifiant du dossier"),
    ("exams[0].lesions[0].mirels.pain", "en", "Exam 1 — Lesion 1 — Mirels score — Pain"),
])
def test_screen_labels(path: str, lang: str, label: str) -> None:
    assert editor_errors.screen_label(path, lang) == label


@pytest.mark.parametrize(("doc", "lang", "field", "words"), [
    ({"case_id": "x"}, "en", "context.phase", "required"),
    ({"case_id": "x", "context": {"phase": "staging", "as_of": "31/11/2026"}}, "en",
     "context.as_of", "not a date (typed: 31/11/2026)"),
    ({"case_id": "x", "context": {"phase": "staging", "as_of": "31/11/2026"}}, "fr",
     "context.as_of", "pas une date (saisi\u00a0: 31/11/2026)"),
    ({"case_id": "x", "context": {"phase": "staging"}, "patient": {"birth_year": "abc"}}, "fr",
     "patient.birth_year", "pas un nombre"),
    ({"case_id": "x", "context": {"phase": "staging"},
      "treatments": [{"id": "l1", "type": "chemotherapy", "start": "2025-03-01", "end": "2025-01-01"}]},
     "fr", "treatments[0]", "la date de fin précède la date de début"),
])
def test_messages_in_the_users_language(doc: dict, lang: str, field: str, words: str) -> None:  # type: ignore[type-arg]
    case, problems = editor_errors.validate(doc, lang)
    assert case is None
    found = {p.field: p.message for p in problems}
    assert words in found[field]
    assert not any("Input should" in p.message or "Field required" in p.message for p in problems)


def test_ids_are_generated_unique_and_kept() -> None:
    doc = {"exams": [{"modality": "bone_scan", "date": "x"}, {"id": "bs1", "modality": "bone_scan"},
                     {"modality": "fdg_pet_ct"}, {"__new__": "1"}],
           "treatments": [{"type": "radiotherapy"}, {"type": "egfr_tki"}]}
    forms.assign_ids(doc)
    assert [e.get("id") for e in doc["exams"]] == ["bs2", "bs1", "pet1", None]  # empty row: no id
    assert [t["id"] for t in doc["treatments"]] == ["rt1", "l1"]


def test_dates_are_converted_for_the_model_only_and_new_rows_dropped() -> None:
    doc = forms.document_from_form([("context.as_of", "20/01/2025"),
                                    ("clinical_status[0].note", "12/03/2025"),
                                    ("exams[0].__new__", "1")])
    assert doc["context"]["as_of"] == "20/01/2025"  # shown back as typed
    model = forms.for_validation(doc)
    assert model["context"]["as_of"] == "2025-01-20"
    assert model["clinical_status"][0]["note"] == "12/03/2025"  # free text is never rewritten
    assert "exams" not in model or model["exams"] == []


@pytest.mark.parametrize(("flag", "change", "result"), [
    ("true", "", "more_foci"), ("true", "stable", "more_foci"), ("false", "more_foci", None),
    ("false", "stable", "stable"), ("", "more_intense", "more_intense"),
])
def test_new_lesion_answer_is_the_models_new_focus(flag: str, change: str, result: str | None) -> None:
    doc = forms.document_from_form([("exams[0].id", "bs1"), ("exams[0].lesions[0].site", "ribs"),
                                    ("exams[0].lesions[0].change_vs_previous", change),
                                    ("exams[0].lesions[0].new_on_scan", flag)])
    lesion = doc["exams"][0]["lesions"][0]
    assert lesion.get("change_vs_previous") == result and "new_on_scan" not in lesion
    assert forms.value_at(doc, "exams[0].lesions[0].new_on_scan") == (
        None if result is None else result == "more_foci")


# --- issue 21: a booked exam, a lesion's biopsy, dates after the decision date -------------------

_BASE = {"case_id": "x", "context": {"phase": "follow_up", "as_of": "01/06/2025"}}


@pytest.mark.parametrize(("exam", "lang", "field", "words"), [
    ({"id": "bs1", "date": "20/07/2025", "modality": "bone_scan", "result": "positive"}, "fr",
     "exams[0].date", "postérieure à la date de décision (01/06/2025)"),
    ({"id": "bs1", "date": "2025-07-20", "modality": "bone_scan", "result": "positive"}, "en",
     "exams[0].date", "after the decision date (2025-06-01)"),
    ({"id": "bs1", "date": "2025-07-20", "modality": "bone_scan", "status": "planned",
      "result": "positive"}, "fr", "exams[0].result", "un examen programmé n'a pas encore"),
    ({"id": "pet1", "date": "2025-05-20", "modality": "fdg_pet_ct", "result": "positive",
      "lesions": [{"site": "sacrum", "biopsy": {"date": "2025-06-20", "result": "fracture"}}]},
     "fr", "exams[0].lesions[0].biopsy.date", "postérieure à la date de décision"),
], ids=["exam-fr", "exam-en", "planned-with-result", "biopsy-after"])
def test_a_date_after_the_decision_lands_on_its_field_in_the_users_words(
        exam: dict, lang: str, field: str, words: str) -> None:  # type: ignore[type-arg]
    case, problems = editor_errors.validate({**_BASE, "exams": [exam]}, lang)
    assert case is None
    found = {p.field: p.message for p in problems}
    assert words in found[field], found


def test_the_clock_problems_are_worded_per_field() -> None:
    import datetime as dt

    from bonemet.api import Problem
    today = dt.date(2026, 12, 7)
    worded = editor_errors.clock_problems(
        [Problem("context.as_of", "x"), Problem("exams[1].date", "x"),
         Problem("treatments[0].end", "x")], today, "fr")
    assert [p.field for p in worded] == ["context.as_of", "exams[1].date", "treatments[0].end"]
    assert "07/12/2026" in worded[1].message and "programmé" in worded[1].message
    assert "date de décision" in worded[2].message


def test_a_booked_exam_and_a_biopsy_are_edited_and_labelled() -> None:
    doc = forms.document_from_form([
        ("case_id", "x"), ("context.phase", "staging"), ("context.as_of", "01/06/2025"),
        ("exams[0].id", "pet1"), ("exams[0].date", "20/05/2025"), ("exams[0].status", ""),
        ("exams[0].modality", "fdg_pet_ct"), ("exams[0].result", "positive"),
        ("exams[0].lesions[0].site", "femur_proximal"),
        ("exams[0].lesions[0].biopsy.date", "25/05/2025"),
        ("exams[0].lesions[0].biopsy.result", "paget"),
        ("exams[1].id", "mri1"), ("exams[1].date", "10/06/2025"), ("exams[1].status", "planned"),
        ("exams[1].modality", "mri"), ("exams[1].lesions[0].biopsy.date", ""),
        ("exams[1].lesions[0].biopsy.result", ""),
    ])
    case, problems = editor_errors.validate(doc, "fr")
    assert problems == [] and case is not None
    assert case.exams[0].lesions[0].biopsy is not None
    assert case.exams[0].lesions[0].biopsy.result.value == "paget"
    assert case.exams[1].status.value == "planned" and case.exams[1].lesions == ()
    assert editor_errors.screen_label("exams[0].lesions[0].biopsy.result", "fr") == (
        "Examen 1 — Lésion 1 — Biopsie osseuse de cette lésion — Résultat")
