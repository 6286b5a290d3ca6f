"""The timeline's layout: no two drawn texts overlap, the axis reaches the decision date, words in language.

The boxes are those of the texts the SVG backend actually draws (recorded at draw time), so a label
that is created but never drawn cannot make the test pass or fail.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.dates import date2num
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from bonemet.api import assess, load_case, parse_case
from bonemet.demo import demo_cases
from bonemet.model.case import Case
from bonemet.report.timeline import _RC, timeline_figure
from factories import case_doc
from golden import example_cases


@contextmanager
def _recording() -> Iterator[list[tuple[str, Bbox]]]:
    """Every text the SVG renderer draws, with its box in the renderer's pixels.

    The renderer is told the line, not always the artist (a multi-line label is drawn line by line),
    so the artist being drawn is tracked around Text.draw.
    """
    drawn: list[tuple[str, Bbox]] = []
    seen: set[int] = set()
    current: list[Text] = []
    draw_text, draw = RendererSVG.draw_text, Text.draw

    def recording_draw_text(self: RendererSVG, gc: Any, x: float, y: float, s: str, prop: Any,
                            angle: float, ismath: Any = False, mtext: Any = None) -> None:
        if current and id(current[-1]) not in seen and s.strip():
            seen.add(id(current[-1]))
            drawn.append((current[-1].get_text(), current[-1].get_window_extent(self)))
        draw_text(self, gc, x, y, s, prop, angle, ismath, mtext)

    def recording_draw(self: Text, renderer: Any) -> None:
        current.append(self)
        try:
            draw(self, renderer)
        finally:
            current.pop()

    RendererSVG.draw_text = recording_draw_text  # type: ignore[method-assign]
    Text.draw = recording_draw  # type: ignore[method-assign]
    try:
        yield drawn
    finally:
        RendererSVG.draw_text = draw_text  # type: ignore[method-assign]
        Text.draw = draw  # type: ignore[method-assign]


def drawn_texts(case: Case, lang: str, with_assessment: bool = True) -> tuple[list[tuple[str, Bbox]], Any]:
    fig = timeline_figure(case, assess(case) if with_assessment else None, lang)  # type: ignore[arg-type]
    with _recording() as drawn, matplotlib.rc_context(_RC):
        fig.savefig(io.BytesIO(), format="svg", metadata={"Date": None})
    return drawn, fig


def overlaps(drawn: list[tuple[str, Bbox]]) -> list[tuple[str, str]]:
    bad = []
    for i, (a, box_a) in enumerate(drawn):
        for b, box_b in drawn[i + 1:]:
            w = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            h = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if w > 0.5 and h > 0.5:  # half a pixel: touching is not overlapping
                bad.append((a, b))
    return bad


def _axis_covers(case: Case, fig: Any) -> None:
    a = assess(case)
    lo, hi = fig.axes[0].get_xlim()
    events = [e.date for e in case.exams] + [x.date for x in case.labs]
    events += [s.date for s in case.clinical_status]
    events += [d for t in case.treatments for d in (t.start, t.end) if d]
    for day in [*events, *([a.as_of] if a.as_of else [])]:
        assert lo < date2num(day) < hi, f"{day} outside the axis"


# The demo cases are copies of examples: each distinct file once.
CASES = list({p.read_bytes(): p for p in [*demo_cases(), *example_cases()]}.values())


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_two_texts_overlap_on_any_example_or_demo_case(path: Path) -> None:
    case = load_case(path)
    lang = "fr" if sum(map(ord, path.stem)) % 2 else "en"  # both languages, half the time each
    drawn, fig = drawn_texts(case, lang)
    assert overlaps(drawn) == []
    if case.exams or case.treatments or case.labs:
        _axis_covers(case, fig)


def test_scan_on_the_decision_date_keeps_its_labels_apart() -> None:
    # The usual board case: the scan was done on the day of the decision, with a line's month 6 too.
    doc = case_doc("on_treatment", context={"as_of": "2025-09-10"},
                   treatments=[{"id": "l1", "type": "egfr_tki", "start": "2025-03-10", "line_number": 1}],
                   exams=[{"id": "bs0", "date": "2025-03-01", "modality": "bone_scan", "result": "positive",
                           "hot_spot_count": 3},
                          {"id": "bs1", "date": "2025-09-10", "modality": "bone_scan", "result": "positive",
                           "hot_spot_count": 5, "change_vs_previous": "more_foci"},
                          {"id": "sp1", "date": "2025-09-10", "modality": "spect_ct", "result": "positive",
                           "hot_spot_count": 2},
                          {"id": "xr1", "date": "2025-09-10", "modality": "radiograph",
                           "radiograph_finding": "worsening_osteolysis"},
                          {"id": "mr1", "date": "2025-09-09", "modality": "mri",
                           "mri_finding": "infiltration_progressing"}],
                   clinical_status=[{"date": "2025-09-10", "state": "deteriorating"}])
    for lang in ("en", "fr"):
        drawn, _ = drawn_texts(parse_case(doc), lang)
        texts = [t for t, _ in drawn]
        assert overlaps(drawn) == [], texts
        # The counts say what they count; the decision date is written, in the page's language.
        assert any(("5 hot spots" if lang == "en" else "5 foyers") in t for t in texts)
        assert any(("10 Sep 2025" if lang == "en" else "10/09/2025") in t for t in texts)


def test_axis_reaches_the_decision_date_when_it_is_the_latest_date() -> None:
    doc = case_doc("on_treatment", context={"as_of": "2026-11-27"},
                   treatments=[{"id": "l1", "type": "chemotherapy", "start": "2024-01-10", "line_number": 1}],
                   exams=[{"id": "bs0", "date": "2024-01-05", "modality": "bone_scan", "result": "positive",
                           "hot_spot_count": 1}])
    case = parse_case(doc)
    _, fig = drawn_texts(case, "en")
    _axis_covers(case, fig)
    # The bottom panel shares the axis: its limits are the same.
    assert fig.axes[1].get_xlim() == fig.axes[0].get_xlim()


def test_axis_reaches_a_decision_date_derived_from_an_undrawn_event() -> None:
    # No date of decision given: the assessment takes the latest dated fact, here a chest CT's
    # response outside bone, which the timeline does not draw; the axis used to stop before it.
    doc = case_doc("on_treatment",
                   treatments=[{"id": "l1", "type": "chemotherapy", "start": "2025-01-10", "line_number": 1}],
                   exams=[{"id": "bs0", "date": "2025-01-05", "modality": "bone_scan", "result": "positive"}],
                   response_outside_bone=[{"date": "2026-02-01", "modality": "ct", "status": "responding"}])
    doc["context"].pop("as_of")
    case = parse_case(doc)
    assert assess(case).as_of == dt.date(2026, 2, 1)
    drawn, fig = drawn_texts(case, "en")
    _axis_covers(case, fig)
    assert any("1 Feb 2026" in t for t, _ in drawn)


@pytest.mark.parametrize(("lang", "month"), [("fr", "nov."), ("en", "Nov")])
def test_month_labels_are_in_the_page_language(lang: str, month: str) -> None:
    doc = case_doc("on_treatment", context={"as_of": "2026-11-27"},
                   exams=[{"id": "bs0", "date": "2025-06-05", "modality": "bone_scan", "result": "positive"}])
    drawn, _ = drawn_texts(parse_case(doc), lang)
    ticks = [t for t, _ in drawn if re.fullmatch(r"\S+ 20\d\d", t)]
    assert ticks, [t for t, _ in drawn]
    assert any(t.startswith(month) for t in ticks) or all(not t[0].isdigit() for t in ticks)
    english = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
    if lang == "fr":
        assert not any(t.split()[0] in english for t in ticks), ticks


# Generated cases: events drawn from a few days around the decision date, so that many fall on one
# day (the situation that made the labels collide).
_AS_OF = dt.date(2026, 3, 15)
_day = st.integers(min_value=-700, max_value=0).map(lambda n: _AS_OF + dt.timedelta(days=n))
_near = st.sampled_from([0, 0, 0, -1, -3, -7, -30]).map(lambda n: _AS_OF + dt.timedelta(days=n))
_date = st.one_of(_day, _near)
_exam = st.one_of(
    st.fixed_dictionaries({"modality": st.sampled_from(["bone_scan", "spect_ct"]), "date": _date,
                           "result": st.just("positive"),
                           "hot_spot_count": st.one_of(st.none(), st.integers(0, 40)),
                           "change_vs_previous": st.sampled_from(["more_foci", "stable",
                                                                  "fewer_or_less_intense"])}),
    st.fixed_dictionaries({"modality": st.just("radiograph"), "date": _date,
                           "radiograph_finding": st.sampled_from(["recalcification", "worsening_osteolysis",
                                                                  "stable"])}),
    st.fixed_dictionaries({"modality": st.just("mri"), "date": _date,
                           "mri_finding": st.sampled_from(["infiltration_regressing", "stable"])}),
    st.fixed_dictionaries({"modality": st.sampled_from(["ct", "fdg_pet_ct"]), "date": _date}),
)
_line = st.fixed_dictionaries({"type": st.sampled_from(["egfr_tki", "chemotherapy", "immunotherapy",
                                                         "denosumab"]), "start": _date})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exams=st.lists(_exam, max_size=6), lines=st.lists(_line, max_size=3),
       states=st.lists(st.tuples(_date, st.sampled_from(["improving", "stable", "deteriorating"])),
                       max_size=2),
       lang=st.sampled_from(["en", "fr"]))
def test_generated_cases_never_overlap_and_reach_the_decision_date(
        exams: list[dict[str, Any]], lines: list[dict[str, Any]], states: list[tuple[dt.date, str]],
        lang: str) -> None:
    doc = case_doc("on_treatment", context={"as_of": _AS_OF.isoformat()},
                   exams=[{**e, "id": f"e{i}", "date": e["date"].isoformat()} for i, e in enumerate(exams)],
                   treatments=[{**t, "id": f"t{i}", "start": t["start"].isoformat(),
                                **({"line_number": i + 1} if t["type"] != "denosumab" else {})}
                               for i, t in enumerate(lines)],
                   clinical_status=[{"date": d.isoformat(), "state": s} for d, s in states])
    case = parse_case(doc)
    drawn, fig = drawn_texts(case, lang)
    assert overlaps(drawn) == [], [t for t, _ in drawn]
    if exams or lines or states:
        _axis_covers(case, fig)
