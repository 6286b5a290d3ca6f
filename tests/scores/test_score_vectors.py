"""Worked examples of clinical-reference.md §13, one row each, with the source in the test id.

Source codes as in §13: P paper or teaching page, S a public calculator suite's tests, O our hand
computation from the confirmed point table, C a convention of bonemet (the source is silent).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from bonemet.model.scores import ScoreInputError
from bonemet.scores import asia, bilsky, frankel, harrington, mirels, sins, tokuhashi, tomita

MIRELS = [
    # id, site, pain, lesion, size, total, band
    ("M1-S", "upper-limb", "mild", "blastic", "lt-1/3", 4, "low"),
    ("M2-S", "lower-limb", "moderate", "mixed", "lt-1/3", 7, "low"),
    ("M3-S", "lower-limb", "moderate", "lytic", "lt-1/3", 8, "borderline"),
    ("M4-S", "lower-limb", "functional", "lytic", "lt-1/3", 9, "high"),
    ("M5-S", "peritrochanteric", "functional", "lytic", "gt-2/3", 12, "high"),
    ("M6-P-epomedicine", "lower-limb", "functional", "lytic", "1/3-2/3", 10, "high"),
    ("M7-C-exactly-2/3", "peritrochanteric", "mild", "lytic", "1/3-2/3", 9, "high"),
]


@pytest.mark.parametrize(("site", "pain", "lesion", "size", "total", "band"),
                         [row[1:] for row in MIRELS], ids=[row[0] for row in MIRELS])
def test_mirels(site: str, pain: str, lesion: str, size: str, total: int, band: str) -> None:
    r = mirels.score(site=site, pain=pain, lesion=lesion, size=size)
    assert (r.total, r.band.id) == (total, band)
    assert r.citation.guideline_ref == 77


def test_mirels_M7_C_boundary_fraction_two_thirds_is_middle_class() -> None:
    assert mirels.size_from_fraction(Fraction(2, 3)).value == "1/3-2/3"
    assert mirels.size_from_fraction(2 / 3).value == "1/3-2/3"
    assert mirels.size_from_fraction(1 / 3).value == "1/3-2/3"
    assert mirels.size_from_fraction(0.33).value == "lt-1/3"
    assert mirels.size_from_fraction(0.67).value == "gt-2/3"
    with pytest.raises(ScoreInputError, match="outside 0-1"):
        mirels.size_from_fraction(1.2)


@pytest.mark.parametrize("pain", ["mild", "moderate", "functional"])
def test_mirels_M8_P_roentgenrayreader_any_pain_gives_at_least_10(pain: str) -> None:
    r = mirels.score(site="peritrochanteric", pain=pain, lesion="lytic", size="gt-2/3")
    assert r.total is not None and r.total >= 10 and r.band.id == "high"


GUIDELINE_RULE = [
    ("AURA-met", 9, 31, 51, "met"),
    ("AURA-axial-at-30-not-above", 12, 30, 80, "not_met"),
    ("AURA-circumference-at-50-not-above", 12, 80, 50, "not_met"),
    ("AURA-mirels-8-not-reached", 8, 90, 90, "not_met"),
    ("AURA-lysis-unknown", 9, None, 60, "not_evaluable"),
]
_BY_TOTAL = {8: ("lower-limb", "moderate", "lytic", "lt-1/3"),
             9: ("lower-limb", "functional", "lytic", "lt-1/3"),
             12: ("peritrochanteric", "functional", "lytic", "gt-2/3")}


@pytest.mark.parametrize(("total", "axial", "circ", "status"), [r[1:] for r in GUIDELINE_RULE],
                         ids=[r[0] for r in GUIDELINE_RULE])
def test_mirels_guideline_consolidation_rule(total: int, axial: float | None, circ: float | None,
                                             status: str) -> None:
    site, pain, lesion, size = _BY_TOTAL[total]
    r = mirels.score(site=site, pain=pain, lesion=lesion, size=size, axial_lysis_percent=axial,
                     circumferential_lysis_percent=circ)
    (rule,) = r.thresholds
    assert r.total == total and rule.source == "guideline" and rule.status == status
    assert rule.missing == (("axial_lysis_percent",) if status == "not_evaluable" else ())


SINS = [
    ("S1-O", "semi-rigid", "none", "blastic", "normal", "none", "none", 1, "stable"),
    ("S2-O-boundary-6", "semi-rigid", "occasional", "lytic", "normal", "no-collapse-gt-50-involved",
     "unilateral", 6, "stable"),
    ("S3-O-boundary-7", "mobile", "occasional", "lytic", "normal", "no-collapse-gt-50-involved", "unilateral",
     7, "indeterminate"),
    ("S4-O", "semi-rigid", "mechanical", "lytic", "normal", "lt-50", "unilateral", 9, "indeterminate"),
    ("S5-O-boundary-12", "junctional", "mechanical", "lytic", "normal", "gt-50", "unilateral", 12,
     "indeterminate"),
    ("S6-O-boundary-13", "junctional", "mechanical", "lytic", "normal", "lt-50", "bilateral", 13, "unstable"),
    ("S7-O", "junctional", "mechanical", "lytic", "deformity", "gt-50", "bilateral", 16, "unstable"),
    ("S8-O-max", "junctional", "mechanical", "lytic", "subluxation", "gt-50", "bilateral", 18, "unstable"),
    ("S9-O-min", "rigid", "none", "blastic", "normal", "none", "none", 0, "stable"),
]


@pytest.mark.parametrize("row", SINS, ids=[r[0] for r in SINS])
def test_sins(row: tuple[Any, ...]) -> None:
    _, location, pain, lesion, alignment, collapse, posterolateral, total, band = row
    r = sins.score(location=location, pain=pain, lesion=lesion, alignment=alignment, collapse=collapse,
                   posterolateral=posterolateral)
    assert (r.total, r.band.id) == (total, band)
    (opinion,) = r.thresholds
    assert opinion.status == ("met" if total >= 7 else "not_met")


LEVELS = [("C2", "junctional"), ("C3", "mobile"), ("C6", "mobile"), ("C7", "junctional"),
          ("T2", "junctional"),
          ("T3", "semi-rigid"), ("T10", "semi-rigid"), ("T11", "junctional"), ("L1", "junctional"),
          ("L2", "mobile"), ("L4", "mobile"), ("L5", "junctional"), ("S1", "junctional"), ("S2", "rigid"),
          ("S5", "rigid"), ("t11", "junctional")]


@pytest.mark.parametrize(("level", "location"), LEVELS, ids=[f"SINS-level-{a}-P" for a, _ in LEVELS])
def test_sins_level_to_location(level: str, location: str) -> None:
    loc = sins.location_of_level(level)
    assert loc is not None and loc.value == location


def test_sins_every_vertebral_level_has_exactly_one_location() -> None:
    levels = ([f"C{i}" for i in range(1, 8)] + [f"T{i}" for i in range(1, 13)]
              + [f"L{i}" for i in range(1, 6)] + [f"S{i}" for i in range(1, 6)])
    assert all(sins.location_of_level(x) is not None for x in levels)
    assert sins.location_of_level("T13") is None


TOKUHASHI = [
    ("T1-O-min", "poor", "3-or-more", "3-or-more", "unremovable", "lung", "complete", 0, "lt-6-months"),
    ("T2-O-lung-typical", "moderate", "1-2", "2", "none", "lung", "incomplete", 6, "lt-6-months"),
    ("T3-O-lung-max", "good", "0", "1", "none", "lung", "none", 10, "ge-6-months"),
    ("T4-S-boundary-8", "good", "1-2", "2", "removable", "other", "incomplete", 8, "lt-6-months"),
    ("T5-S-boundary-9", "good", "1-2", "1", "removable", "other", "incomplete", 9, "ge-6-months"),
    ("T6-S-boundary-11", "good", "0", "1", "none", "other", "incomplete", 11, "ge-6-months"),
    ("T7-S-boundary-12", "good", "0", "1", "none", "other", "none", 12, "ge-1-year"),
    ("T8-O-max", "good", "0", "1", "none", "breast", "none", 15, "ge-1-year"),
]


@pytest.mark.parametrize("row", TOKUHASHI, ids=[r[0] for r in TOKUHASHI])
def test_tokuhashi(row: tuple[Any, ...]) -> None:
    _, gc, extra, vb, organs, primary, palsy, total, band = row
    r = tokuhashi.score(general_condition=gc, extraspinal_bone_metastases=extra, vertebral_body_metastases=vb,
                        internal_organ_metastases=organs, primary_site=primary, palsy=palsy)
    assert (r.total, r.band.id) == (total, band)
    status = {t.id: t.status for t in r.thresholds}
    assert status["surgery-recommended"] == ("met" if total > 9 else "not_met")
    assert status["surgery-benefit-unlikely"] == ("met" if total < 6 else "not_met")
    assert status["between-guideline-thresholds"] == ("met" if 6 <= total <= 9 else "not_met")
    lung_note = any("lung" in n.text.en.lower() and "10" in n.text.en for n in r.notes)
    assert lung_note == (primary == "lung")


KPS = [(10, "poor"), (40, "poor"), (50, "moderate"), (70, "moderate"), (80, "good"), (100, "good")]


@pytest.mark.parametrize(("kps", "condition"), KPS, ids=[f"T9-S-karnofsky-{k}" for k, _ in KPS])
def test_tokuhashi_karnofsky_boundaries(kps: int, condition: str) -> None:
    assert tokuhashi.general_condition_from_karnofsky(kps).value == condition


@pytest.mark.parametrize("kps", [0, 45, 110, -10, 5])
def test_tokuhashi_T9_karnofsky_off_the_scale_is_refused(kps: int) -> None:
    with pytest.raises(ScoreInputError, match="multiple of 10"):
        tokuhashi.general_condition_from_karnofsky(kps)


TOMITA = [
    ("TO1-S-min", "slow", "none", "solitary", 2, "long-term-control"),
    ("TO2-S-boundary-3", "moderate", "none", "solitary", 3, "long-term-control"),
    ("TO3-S-boundary-4", "moderate", "none", "multiple", 4, "middle-term-control"),
    ("TO4-O-lung-min", "rapid", "none", "solitary", 5, "middle-term-control"),
    ("TO5-O-boundary-6", "rapid", "none", "multiple", 6, "short-term-palliation"),
    ("TO6-O-boundary-7", "rapid", "treatable", "solitary", 7, "short-term-palliation"),
    ("TO7-O-boundary-8", "rapid", "treatable", "multiple", 8, "terminal-care"),
    ("TO8-O-max", "rapid", "untreatable", "multiple", 10, "terminal-care"),
]


@pytest.mark.parametrize("row", TOMITA, ids=[r[0] for r in TOMITA])
def test_tomita(row: tuple[Any, ...]) -> None:
    _, growth, visceral, bone, total, band = row
    r = tomita.score(primary_growth=growth, visceral_metastases=visceral, bone_metastases=bone)
    assert (r.total, r.band.id) == (total, band)
    assert r.citation.guideline_ref == 147


def test_L1_P_lung_primary_reads_as_tokuhashi_0_and_tomita_rapid() -> None:
    r = tomita.score(primary_site="lung", visceral_metastases="none", bone_metastases="solitary")
    growth = next(i for i in r.items if i.item == "primary_growth")
    assert (growth.value, growth.points, growth.derived_from) == ("rapid", 4, "primary_site")
    t = tokuhashi.score(general_condition="good", extraspinal_bone_metastases="0",
                        vertebral_body_metastases="1", internal_organ_metastases="none",
                        primary_site="lung", palsy="none")
    assert next(i.points for i in t.items if i.item == "primary_site") == 0


FRANKEL = [("F1-P", "C", "incomplete", 1), ("F2-P", "B", "complete", 0), ("F-P-A", "A", "complete", 0),
           ("F-P-D", "D", "incomplete", 1), ("F-P-E", "E", "none", 2)]


@pytest.mark.parametrize(("grade", "palsy", "points"), [r[1:] for r in FRANKEL], ids=[r[0] for r in FRANKEL])
def test_frankel_and_its_tokuhashi_palsy(grade: str, palsy: str, points: int) -> None:
    r = frankel.score(grade=grade)
    assert r.grade is not None and r.grade.id == grade and r.band.id == palsy
    (link,) = r.links
    assert (link.score, link.item, link.value, link.points) == ("tokuhashi", "palsy", palsy, points)
    t = tokuhashi.score(general_condition="good", extraspinal_bone_metastases="0",
                        vertebral_body_metastases="1", internal_organ_metastases="none",
                        primary_site="other", frankel=grade)
    assert next(i.points for i in t.items if i.item == "palsy") == points


ASIA = [
    ("AS1-S-no-sacral-sparing", {"all_normal": "no", "sacral_sparing": "no"}, "A"),
    ("AS2-S-sparing-no-motor", {"all_normal": "no", "sacral_sparing": "yes", "motor_below_level": "no"}, "B"),
    ("AS3-S-less-than-half-grade-3", {"all_normal": "no", "sacral_sparing": "yes", "motor_below_level": "yes",
                                      "half_key_muscles_grade_3": "no"}, "C"),
    ("AS4-S-half-grade-3", {"all_normal": "no", "sacral_sparing": "yes", "motor_below_level": "yes",
                            "half_key_muscles_grade_3": "yes"}, "D"),
    ("AS-S-all-normal", {"all_normal": "yes"}, "E"),
]


@pytest.mark.parametrize(("findings", "grade"), [r[1:] for r in ASIA], ids=[r[0] for r in ASIA])
def test_asia_classification(findings: dict[str, str], grade: str) -> None:
    r = asia.score(**findings)
    assert r.grade is not None and r.grade.id == grade


def test_asia_needs_the_findings_its_decision_reads() -> None:
    with pytest.raises(ScoreInputError, match="motor_below_level: missing"):
        asia.score(all_normal="no", sacral_sparing="yes")


BILSKY = [("B1-P", "1c", "low-grade", 3), ("B2-P", "2", "high-grade", 4), ("B3-S-rank", "1b", "low-grade", 2),
          ("B-P-0", "0", "low-grade", 0), ("B-P-3", "3", "high-grade", 5)]


@pytest.mark.parametrize(("grade", "band", "rank"), [r[1:] for r in BILSKY], ids=[r[0] for r in BILSKY])
def test_bilsky(grade: str, band: str, rank: int) -> None:
    r = bilsky.score(grade=grade)
    assert r.grade is not None and (r.band.id, r.grade.rank, r.grade.id) == (band, rank, grade)


HARRINGTON = [
    ("H1-S", "no", "intact", "intact", "I"),
    ("H2-S", "no", "deficient", "intact", "II"),
    ("H3-S", "no", "deficient", "deficient", "III"),
    ("H4-S-intent-overrides", "yes", "intact", "intact", "IV"),
    ("H5-S", "yes", "deficient", "deficient", "IV"),
    ("H6-S-atypical", "no", "intact", "deficient", "III"),
]


@pytest.mark.parametrize(("resectable", "medial", "lateral", "cls"), [r[1:] for r in HARRINGTON],
                         ids=[r[0] for r in HARRINGTON])
def test_harrington(resectable: str, medial: str, lateral: str, cls: str) -> None:
    r = harrington.score(resectable_for_cure=resectable, medial_wall=medial, lateral_wall_or_roof=lateral)
    assert r.grade is not None and r.grade.id == cls
    atypical = any(n.kind == "convention" and "Atypical" in n.text.en for n in r.notes)
    assert atypical == (medial == "intact" and lateral == "deficient" and resectable == "no")


def test_harrington_H4_resectable_for_cure_needs_no_wall_findings() -> None:
    r = harrington.score(resectable_for_cure="yes")
    assert r.grade is not None and r.grade.id == "IV"


def test_citations_carry_the_guideline_reference_numbers() -> None:
    refs = {m.__name__.rsplit(".", 1)[-1]: r for m, r in [
        (mirels, mirels.score(site="upper-limb", pain="mild", lesion="blastic", size="lt-1/3")),
        (tomita, tomita.score(primary_growth="slow", visceral_metastases="none", bone_metastases="solitary")),
        (frankel, frankel.score(grade="E")),
        (harrington, harrington.score(classification="I")),
    ]}
    assert refs["mirels"].citation.guideline_ref == 77
    assert set(refs["mirels"].citation.also_in_guideline) == {139, 143}
    assert refs["tomita"].citation.guideline_ref == 147
    assert refs["frankel"].citation.guideline_ref == 145
    assert refs["harrington"].citation.also_in_guideline == (144,)
