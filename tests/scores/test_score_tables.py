"""The score tables as data: what the loader accepts, what it refuses, and enum/table agreement."""

from __future__ import annotations

import shutil
from enum import StrEnum
from importlib import resources
from pathlib import Path

import pytest
import yaml

from bonemet.kb import KnowledgeBaseError, default_kb, load_kb
from bonemet.model import score_inputs as si
from bonemet.scores.registry import SCORE_IDS

DATA = Path(str(resources.files("bonemet.kb") / "data"))

# Each enum is the vocabulary of one table item; a drift between Python and YAML must fail here.
ENUM_OF_ITEM: dict[tuple[str, str], type[StrEnum]] = {
    ("mirels", "site"): si.MirelsSite, ("mirels", "pain"): si.MirelsPain,
    ("mirels", "lesion"): si.BoneLesionType, ("mirels", "size"): si.MirelsSize,
    ("sins", "location"): si.SinsLocation, ("sins", "pain"): si.SinsPain,
    ("sins", "lesion"): si.BoneLesionType,
    ("sins", "alignment"): si.SinsAlignment, ("sins", "collapse"): si.SinsCollapse,
    ("sins", "posterolateral"): si.SinsPosterolateral,
    ("tokuhashi", "general_condition"): si.TokuhashiGeneralCondition,
    ("tokuhashi", "extraspinal_bone_metastases"): si.TokuhashiExtraspinal,
    ("tokuhashi", "vertebral_body_metastases"): si.TokuhashiVertebral,
    ("tokuhashi", "internal_organ_metastases"): si.TokuhashiOrganMetastases,
    ("tokuhashi", "primary_site"): si.TokuhashiPrimary, ("tokuhashi", "palsy"): si.TokuhashiPalsy,
    ("tomita", "primary_growth"): si.TomitaGrowth, ("tomita", "visceral_metastases"): si.TomitaVisceral,
    ("tomita", "bone_metastases"): si.TomitaBone,
    ("harrington", "resectable_for_cure"): si.YesNo, ("harrington", "medial_wall"): si.WallState,
    ("harrington", "lateral_wall_or_roof"): si.WallState,
    ("asia", "all_normal"): si.YesNo, ("asia", "sacral_sparing"): si.YesNo,
    ("asia", "motor_below_level"): si.YesNo, ("asia", "half_key_muscles_grade_3"): si.YesNo,
}
ENUM_OF_GRADES: dict[str, type[StrEnum]] = {"frankel": si.FrankelGrade, "asia": si.AsiaGrade,
                                            "bilsky": si.BilskyGrade, "harrington": si.HarringtonClass}


def test_every_table_item_has_its_enum_with_the_same_values() -> None:
    kb = default_kb()
    items = {(t.id, i.id) for t in kb.scores.values() for i in t.items}
    assert items == set(ENUM_OF_ITEM)
    for (score, item), enum in ENUM_OF_ITEM.items():
        assert kb.scores[score].item(item).allowed and set(kb.scores[score].item(item).allowed) == {
            e.value for e in enum}, (score, item)
    for score, enum in ENUM_OF_GRADES.items():
        assert [g.id for g in kb.scores[score].grades] == [e.value for e in enum]


def test_shipped_tables_are_all_there_and_bilingual() -> None:
    kb = default_kb()
    assert set(kb.scores) == set(SCORE_IDS)  # the registry (test_score_registry.py checks both ways)
    assert "rades" not in kb.scores  # point tables unconfirmed: left out on purpose (docs/scores.md)
    for t in kb.scores.values():
        assert t.name.en and t.name.fr and t.purpose.fr and t.applies_to.fr
        assert all(b.interpretation.fr and b.interpretation.en for b in t.bands)


def _broken_copy(tmp_path: Path, score: str, edit: object) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    path = target / "scores" / f"{score}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return target


def _set_points(doc: dict, item: int, option: int, points: int) -> None:  # type: ignore[type-arg]
    doc["items"][item]["options"][option]["points"] = points


BROKEN = [
    ("range-mismatch", "tomita", lambda d: _set_points(d, 0, 2, 3),
     "declared range (2, 10) but the points allow"),
    ("band-gap", "sins", lambda d: d["bands"][1].update(min=8), "expected 7 (gap or overlap)"),
    ("unknown-guideline-ref", "mirels", lambda d: d["citation"].update(guideline_ref=999),
     "unknown guideline reference 999"),
    ("grade-in-no-band", "bilsky", lambda d: d["bands"][1].update(grades=["2"]), "grade '3' is in 0 bands"),
    ("rule-unknown-option", "harrington", lambda d: d["rules"][0]["when"].update(resectable_for_cure="maybe"),
     "'maybe' is not an option of resectable_for_cure"),
    ("derive-unknown-option", "tokuhashi", lambda d: d["derive"]["palsy"]["map"].update(A="paraplegic"),
     "'paraplegic' is not an option of palsy"),
    ("missing-french", "frankel", lambda d: d["name"].pop("fr"), "name.fr: Field required"),
]


@pytest.mark.parametrize(("score", "edit", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_inconsistent_table_refuses_the_base(tmp_path: Path, score: str, edit: object, message: str) -> None:
    with pytest.raises(KnowledgeBaseError) as info:
        load_kb(_broken_copy(tmp_path, score, edit))
    assert any(message in p for p in info.value.problems), info.value.problems
