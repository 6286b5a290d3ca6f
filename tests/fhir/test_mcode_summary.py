"""Issue 26: the oncology record read from mCODE (staging, Karnofsky, cancer surgery, recorded bone
sites) is shown where the case is shown in text: the summary page, in English and in French."""

from __future__ import annotations

import datetime as dt
import json
import re

import mcode_examples as mx

from bonemet.fhir.to_case import case_from_fhir
from bonemet.report.summary import summary_html


def _case():  # type: ignore[no-untyped-def]
    data = json.loads((mx.VARIANTS / "v01-lung-generic-code-bone-secondaries.json").read_text())
    data["entry"] += [
        {
            "resource": {
                "resourceType": "Observation",
                "id": "k",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]},
                "subject": {"reference": "Patient/v01"},
                "effectiveDateTime": "2025-10-05",
                "valueInteger": 80,
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "id": "t",
                "status": "final",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "399537006"}]},
                "subject": {"reference": "Patient/v01"},
                "effectiveDateTime": "2025-09-05",
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": "http://snomed.info/sct",
                            "code": "1222806003",
                            "display": "American Joint Committee on Cancer stage IVB (qualifier value)",
                        }
                    ]
                },
            }
        },
    ]
    return case_from_fhir(data).case


def test_the_oncology_record_is_shown_in_english_and_french() -> None:
    case = _case()
    en = summary_html(case, "en", dt.date(2025, 11, 1))
    fr = summary_html(case, "fr", dt.date(2025, 11, 1))
    assert "TNM staging (as recorded)" in en and "stage IVB" in en
    assert "Karnofsky score" in en and "Bone metastasis sites on record" in en
    assert "Indice de Karnofsky" in fr and "Sites de métastases osseuses enregistrés" in fr
    text = re.sub(r"<[^>]+>", " ", fr)
    block = text[text.index("Indice de Karnofsky") :][:200]
    assert "2025-10-05" not in block and "05/10/2025" in block  # never ISO: the page's date format
    assert "thoracic_spine" not in text and "femur_proximal" not in text  # sites by their labels


def test_recorded_bone_sites_are_drawn_on_the_skeleton_map_as_on_record() -> None:
    from bonemet.report.skeleton import skeleton_map

    case = _case()
    skm = skeleton_map(case, "en")
    drawn = {(x.site.value, x.side.value if x.side else None) for x in skm.lesions if x.on_record}
    assert drawn == {
        ("thoracic_spine", None),
        ("lumbar_spine", None),
        ("ribs", "left"),
        ("femur_proximal", None),
    }
    assert (
        "bone metastasis on record (diagnosis), not seen on an exam of the case, since 2025-10-02" in skm.svg
    )
    assert "non vue sur un examen du dossier, depuis le 02/10/2025" in skeleton_map(case, "fr").svg


def test_a_recorded_site_already_seen_on_an_exam_is_drawn_once_from_the_exam() -> None:
    from bonemet.model.case import Case
    from bonemet.report.skeleton import skeleton_map

    case = _case()
    exam = {
        "id": "e1",
        "date": "2025-10-03",
        "modality": "bone_scan",
        "result": "positive",
        "lesions": [{"site": "lumbar_spine"}],
    }
    with_exam = Case.model_validate({**case.model_dump(mode="json"), "exams": [exam]})
    lumbar = [x for x in skeleton_map(with_exam, "en").lesions if x.site.value == "lumbar_spine"]
    assert len(lumbar) == 1 and not lumbar[0].on_record
