"""The skeleton map: every site has a place, sides mirror, phenotype sets colour and shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from bonemet.api import parse_case
from bonemet.model.case import Phenotype, Side, SkeletalSite
from bonemet.report.skeleton import COLOURS, collect, skeleton_map
from factories import case_doc, pet

SVG = "{http://www.w3.org/2000/svg}"


def _case(*lesions: dict, **exam_fields) -> object:  # type: ignore[type-arg]
    return parse_case(case_doc(exams=[pet(lesions=list(lesions), **exam_fields)]))


@pytest.mark.parametrize("site", list(SkeletalSite))
def test_every_site_is_placed_inside_the_figure(site):  # type: ignore[no-untyped-def]
    for side in (Side.left, Side.right, None):
        placed = collect(_case({"site": site.value, "side": side.value if side else None}))  # type: ignore[arg-type]
        assert len(placed) == 1
        assert 0 < placed[0].x < 240 or site is SkeletalSite.other
        assert 0 < placed[0].y < 480


def test_left_and_right_mirror_and_right_is_on_the_viewers_left():  # type: ignore[no-untyped-def]
    right, left = collect(_case({"site": "femur_shaft", "side": "right"},
                                {"site": "femur_shaft", "side": "left"}))
    assert right.x < 120 < left.x
    assert right.x + left.x == pytest.approx(240)
    assert right.y == left.y


def test_unknown_side_of_a_paired_bone_is_flagged():  # type: ignore[no-untyped-def]
    (lesion,) = collect(_case({"site": "humerus"}))
    assert lesion.side_unknown
    (spine,) = collect(_case({"site": "thoracic_spine"}))
    assert not spine.side_unknown


def test_one_lesion_seen_on_two_exams_is_drawn_once_with_its_history():  # type: ignore[no-untyped-def]
    doc = case_doc(exams=[
        pet("2025-01-10", lesions=[{"site": "lumbar_spine", "level": "L3", "phenotype": "lytic"}]),
        pet("2025-04-10", lesions=[{"site": "lumbar_spine", "level": "l3", "phenotype": "mixed",
                                    "irradiated": True}]),
    ])
    (lesion,) = collect(parse_case(doc))
    assert lesion.phenotype is Phenotype.mixed and lesion.irradiated
    assert (lesion.first_seen.isoformat(), lesion.last_seen.isoformat()) == ("2025-01-10", "2025-04-10")


def test_crowded_site_fans_out():  # type: ignore[no-untyped-def]
    placed = collect(_case(*[{"site": "ribs", "side": "left", "level": f"R{i}"} for i in range(4)]))
    assert len({p.x for p in placed}) == 4


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_svg_is_well_formed_with_one_marker_per_lesion_and_a_legend(lang):  # type: ignore[no-untyped-def]
    case = _case({"site": "pelvis", "side": "left", "phenotype": "blastic"},
                 {"site": "skull", "phenotype": "lytic"}, {"site": "sternum"})
    svg = skeleton_map(case, lang).svg  # type: ignore[arg-type]
    root = ET.fromstring(svg)
    lesions = root.findall(f".//{SVG}g[@class='lesion']")
    assert [g.get("data-phenotype") for g in lesions] == ["blastic", "lytic", "unknown"]
    blastic = lesions[0].find(f"{SVG}rect")
    assert blastic is not None and blastic.get("fill") == COLOURS[Phenotype.blastic]
    assert lesions[1].find(f"{SVG}circle") is not None
    legend = "".join(root.find(f".//{SVG}g[@class='legend']").itertext())  # type: ignore[union-attr]
    assert ("Condensante" if lang == "fr" else "Blastic") in legend
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")


# i13-figures: phenotype history and unsided sites (issue 13, defect 6).
def test_phenotype_from_an_earlier_exam_is_kept_when_a_later_one_does_not_restate_it():  # type: ignore[no-untyped-def]
    doc = case_doc(exams=[
        pet("2025-01-10", lesions=[{"site": "thoracic_spine", "level": "T9", "phenotype": "lytic"},
                                   {"site": "femur_shaft", "side": "left", "phenotype": "lytic",
                                    "irradiated": True, "suspicious": True}]),
        pet("2025-04-10", lesions=[{"site": "thoracic_spine", "level": "T9"},
                                   {"site": "femur_shaft", "side": "left", "phenotype": "blastic"}]),
    ])
    spine, femur = collect(parse_case(doc))
    assert spine.phenotype is Phenotype.lytic and spine.last_seen.isoformat() == "2025-04-10"
    # A phenotype restated later wins (a lytic lesion that sclerosed on treatment is now blastic);
    # radiotherapy given to a site stays part of its history; "suspicious" keeps its last statement.
    assert femur.phenotype is Phenotype.blastic and femur.irradiated and femur.suspicious is True
    svg = skeleton_map(parse_case(doc), "en").svg
    assert [g.get("data-phenotype") for g in ET.fromstring(svg).iter(f"{SVG}g")
            if g.get("class") == "lesion"] == ["lytic", "blastic"]


def test_demo_21_keeps_the_lytic_t9_seen_on_the_staging_scan():  # type: ignore[no-untyped-def]
    from bonemet.api import load_case
    from golden import ROOT

    placed = collect(load_case(ROOT / "examples" / "21-flare-early-flare-likely.yaml"))
    t9 = next(p for p in placed if p.level == "T9")
    assert t9.phenotype is Phenotype.lytic


@pytest.mark.parametrize("site", ["pelvis", "acetabulum", "femur_shaft", "humerus", "ribs"])
def test_a_paired_site_without_side_is_never_drawn_on_the_right(site):  # type: ignore[no-untyped-def]
    (lesion,) = collect(_case({"site": site}))
    assert lesion.x == pytest.approx(120) and lesion.side_unknown
    (right,) = collect(_case({"site": site, "side": "right"}))
    assert right.x < 120 and not right.side_unknown
    svg = skeleton_map(_case({"site": site}), "fr").svg  # type: ignore[arg-type]
    title = "".join(ET.fromstring(svg).find(f".//{SVG}g[@class='lesion']/{SVG}title").itertext())  # type: ignore[union-attr]
    assert "côté non renseigné" in title


@pytest.mark.parametrize("site", ["pelvis", "sternum", "lumbar_spine", "sacrum"])
def test_a_midline_site_or_side_is_drawn_on_the_midline(site):  # type: ignore[no-untyped-def]
    (lesion,) = collect(_case({"site": site, "side": "midline"}))
    assert lesion.x == pytest.approx(120) and not lesion.side_unknown


def test_unsided_pelvis_and_sacrum_do_not_hide_each_other():  # type: ignore[no-untyped-def]
    a, b = collect(_case({"site": "pelvis"}, {"site": "sacrum"}))
    assert ((a.x - b.x) ** 2 + (a.y - b.y) ** 2) ** 0.5 >= 12
