"""The patient timeline: treatment lines, their flare windows, bone scans and their readings, markers.

Top panel: one lane per treatment (systemic lines dark, bone-targeted agents and radiotherapy light),
the first months of each systemic line (NM-05..NM-07 `params.months`) shaded as the flare window
with its anniversary as a dashed boundary, bone scans as markers with their hot-spot count and the
interpreter's reading, radiograph and MRI findings as annotations. Bottom panel: tumour and bone
markers, each as a percentage of its first value (units differ, the shape of the curve is what the
reader weighs), with the last value and unit written at the end of each curve.

Deterministic SVG (fixed hash salt, no date in the metadata), so the figure can be diffed and cached.
Uses matplotlib's object API (no pyplot state), so it is safe to call from a web worker.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Literal

import matplotlib
from babel.dates import format_date
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.ticker import FixedLocator, FuncFormatter
from matplotlib.transforms import Bbox

from bonemet.kb import Lang, default_kb, templates
from bonemet.model.assessment import Assessment
from bonemet.model.case import Analyte, Case, Modality, Treatment, TreatmentType
from bonemet.model.followup import Classification, ScanReading
from bonemet.model.labels import treatment as treatment_words
from bonemet.report.labels import labels

Format = Literal["svg", "png"]

_WORDS: dict[str, dict[str, str]] = {
    "en": {"title": "Timeline", "treatments": "Treatments", "scans": "Bone scans",
           "imaging": "X-ray / MRI", "markers": "Markers (% of first value)",
           "window": "flare window (first {months} months)", "month6": "month {months}",
           "none": "no dated events",
           "clinical": "Clinical", "not_read": "not compared", "as_of": "decision date",
           "no_markers": "no tumour or bone marker recorded"},
    "fr": {"title": "Chronologie", "treatments": "Traitements", "scans": "Scintigraphies",
           "imaging": "Radio / IRM", "markers": "Marqueurs (% de la 1re valeur)",
           "window": "fenêtre du flare ({months} premiers mois)", "month6": "{months}e mois",
           "none": "aucun événement daté",
           "clinical": "Clinique", "not_read": "non comparée", "as_of": "date de décision",
           "no_markers": "aucun marqueur tumoral ou osseux renseigné"},
}
_MARKER_NAMES = {
    Analyte.bone_alp: {"en": "bone ALP", "fr": "PAL osseuses"},
    Analyte.ctx: {"en": "CTX", "fr": "CTX"},
    Analyte.cea: {"en": "CEA", "fr": "ACE"},
    Analyte.cyfra_21_1: {"en": "CYFRA 21-1", "fr": "CYFRA 21-1"},
}
# Colour-blind-safe (Okabe-Ito); the class is also written next to each marker.
_CLASS_COLOUR = {
    Classification.no_progression: "#009E73",
    Classification.flare_likely: "#56B4E9",
    Classification.indeterminate: "#E69F00",
    Classification.progression_likely: "#D55E00",
    Classification.progression: "#B00020",
}
_MARKER_STYLE = {Analyte.bone_alp: ("#0072B2", "o"), Analyte.ctx: ("#D55E00", "s"),
                 Analyte.cea: ("#009E73", "^"), Analyte.cyfra_21_1: ("#CC79A7", "D")}
_MODALITY = {Modality.fdg_pet_ct: "FDG-PET", Modality.naf_pet_ct: "NaF-PET", Modality.ct: "CT",
             Modality.mri: "MRI", Modality.wb_mri: "WB-MRI", Modality.radiograph: "X-ray",
             Modality.bone_scan: "BS", Modality.spect_ct: "SPECT"}
# The same short names in French (issue 25: no English word on a French figure).
_MODALITY_FR = {**_MODALITY, Modality.fdg_pet_ct: "TEP-FDG", Modality.naf_pet_ct: "TEP-NaF",
                Modality.ct: "TDM", Modality.mri: "IRM", Modality.wb_mri: "IRM-CE",
                Modality.radiograph: "Radio", Modality.bone_scan: "Scinti", Modality.spect_ct: "TEMP"}
# Bone-tracer exams on the scans row: planar, SPECT-CT, 18F-NaF PET (read like the bone scan, F28).
_SCAN_MARKER = {Modality.bone_scan: "o", Modality.spect_ct: "h", Modality.naf_pet_ct: "D"}
_BONE_AGENTS = frozenset({TreatmentType.zoledronic_acid, TreatmentType.denosumab})
_RC = {"svg.hashsalt": "bonemet-timeline", "svg.fonttype": "none", "font.family": "DejaVu Sans",
       "font.size": 8.0}


# Dates written on the figure: French as 27/11/2026, English as 27 Nov 2026 (never ISO on a picture).
_DAY = {"en": "d MMM yyyy", "fr": "dd/MM/yyyy"}


def _day(d: dt.date, lang: Lang) -> str:
    return format_date(d, format=_DAY[lang], locale=lang)


def _tick_formatter(span_days: int, lang: Lang) -> FuncFormatter:
    """Month (or day, on a short axis) names in the page's language, through Babel's CLDR data."""
    pattern = "d MMM" if span_days <= 120 else "MMM yyyy"

    def label(x: float, _pos: int | None = None) -> str:
        return format_date(num2date(x).date(), format=pattern, locale=lang)

    return FuncFormatter(label)


def _dates(case: Case, months: int) -> list[dt.date]:
    from bonemet.core.dates import add_months
    from bonemet.core.flare_timeline import rows_starting_a_line

    dates = [e.date for e in case.exams] + [x.date for x in case.labs]
    dates += [s.date for s in case.clinical_status]
    dates += [d for t in case.treatments for d in (t.start, t.end) if d]
    # Each line's month 6 is on the picture even when it lies ahead: it is the date to plan for.
    starts = rows_starting_a_line(case)
    dates += [add_months(t.start, months) for t in case.treatments
              if t.is_systemic_line and t.start and t.id in starts]
    if case.context.as_of:
        dates.append(case.context.as_of)
    if dates and case.cancer.diagnosis_date:
        dates.append(case.cancer.diagnosis_date)
    return dates


def _lane_label(t: Treatment, lang: Lang) -> str:
    return treatment_words(t)(lang)  # the type in words, never its code (issue 21, class 9)


def _draw_treatments(ax: Axes, case: Case, end: dt.date, lang: Lang, months: int,
                     above: list[Annotation]) -> list[str]:
    from bonemet.core.dates import add_months
    from bonemet.core.flare_timeline import rows_starting_a_line

    # The window's length is the data's (NM-05..NM-07 params.months), said where it is drawn.
    w = {k: templates.fill_text(v, {"months": months}) for k, v in _WORDS[lang].items()}
    starts = rows_starting_a_line(case)  # maintenance continues its line: no new window (issue 21)
    lanes: list[str] = []
    dated = sorted((t for t in case.treatments if t.start),
                   key=lambda t: (t.start or dt.date.min, t.id))
    shown_window = False
    for t in dated:
        assert t.start is not None
        y = len(lanes)
        lanes.append(_lane_label(t, lang))
        stop = t.end or end
        systemic = t.is_systemic_line
        colour = "#4D4D4D" if systemic else ("#8DA0CB" if t.type in _BONE_AGENTS else "#B3B3B3")
        ax.barh(y, date2num(stop) - date2num(t.start), left=date2num(t.start), height=0.5,
                color=colour, edgecolor="none")
        if systemic and t.id in starts:
            anniversary = add_months(t.start, months)
            ax.axvspan(date2num(t.start), date2num(anniversary), ymin=0, ymax=1,
                       color="#E69F00", alpha=0.12, lw=0,
                       label=None if shown_window else w["window"])
            ax.axvline(date2num(anniversary), color="#E69F00", ls="--", lw=1)
            above.append(ax.annotate(f"{w['month6']}\n{_day(anniversary, lang)}",
                                     (date2num(anniversary), 1.0), xycoords=ax.get_xaxis_transform(),
                                     xytext=(0, 2), textcoords="offset points", fontsize=6.5,
                                     color="#8C5A00", ha="center", va="bottom"))
            shown_window = True
    return lanes


def _count_text(count: int | None, lang: Lang) -> str:
    L = labels()
    if count is None:
        return L("tl_hot_spots_unknown", lang)
    return L("tl_hot_spots_one", lang) if count == 1 else L("tl_hot_spots_many", lang).format(n=count)


def _scan_text(reading: ScanReading | None, count: int | None, lang: Lang) -> tuple[str, str]:
    flare = default_kb().flare
    head = _count_text(count, lang)
    if reading is None:
        return head, "#333333"
    if reading.classification is None or flare is None:
        return f"{head}\n{_WORDS[lang]['not_read']}", "#777777"
    label = flare.labels.classification[reading.classification](lang)
    return f"{head}\n{label}", _CLASS_COLOUR[reading.classification]


def timeline_figure(case: Case, assessment: Assessment | None = None, lang: Lang = "en") -> Figure:
    """Build the figure (no file written). `assessment` adds the readings of follow-up scans."""
    w = _WORDS[lang]
    months = (assessment.follow_up.months if assessment and assessment.follow_up
              else int(str(templates.values_of(default_kb())["flare_months"])))
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(9.0, 5.6), dpi=100, layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        dates = _dates(case, months)
        as_of = assessment.as_of if assessment else case.context.as_of
        if dates and as_of:
            # The decision date is where the reader stands: the axis always reaches it.
            dates.append(as_of)
        title = fig.suptitle(f"{w['title']} — {case.case_id}", fontsize=10, x=0.02, ha="left")
        if not dates:
            top.text(0.5, 0.5, w["none"], ha="center", va="center", transform=top.transAxes)
            top.set_axis_off()
            bottom.set_axis_off()
            return fig
        first, last = min(dates), max(dates)
        pad = max(10, (last - first).days // 20)
        lo, hi = first - dt.timedelta(days=pad), last + dt.timedelta(days=pad)
        # Labels above the panel (month 6, decision date) move up when they meet; the others move down.
        above: list[Annotation] = []
        below: list[Annotation] = []
        lanes = _draw_treatments(top, case, hi, lang, months, above)
        y_scan, y_img = len(lanes) + 0.4, len(lanes) + 1.6
        readings = {s.scan_id: s for s in (assessment.follow_up.scans
                                           if assessment and assessment.follow_up else ())}
        for e in sorted(case.exams, key=lambda e: (e.date, e.id)):
            x = date2num(e.date)
            if e.modality in _SCAN_MARKER:  # the bone-tracer exams the flare reader reads
                text, colour = _scan_text(readings.get(e.id), e.hot_spot_count, lang)
                top.plot([x], [y_scan], marker=_SCAN_MARKER[e.modality],
                         ms=9, color=colour, mec="black", mew=0.6, ls="none")
                below.append(top.annotate(text, (x, y_scan), xytext=(0, -9), textcoords="offset points",
                                          ha="center", va="top", fontsize=6.5, color=colour))
            elif not (e.radiograph_finding or e.mri_finding or e.ct_finding):
                top.plot([x], [y_img], marker="|", ms=9, color="#999999", ls="none")
                below.append(top.annotate((_MODALITY_FR if lang == "fr" else _MODALITY)[e.modality],
                                          (x, y_img), xytext=(0, -7),
                                          textcoords="offset points", ha="center", va="top",
                                          fontsize=6, color="#777777"))
            else:
                finding = e.radiograph_finding or e.mri_finding or e.ct_finding
                flare = default_kb().flare
                label = (flare.labels.values[finding.value](lang) if flare and finding
                         else str(finding))
                kind = ("X" if e.modality is Modality.radiograph
                        else ("CT" if lang == "en" else "TDM") if e.ct_finding
                        else "MRI" if lang == "en" else "IRM")
                top.plot([x], [y_img], marker="v", ms=7, color="#6A3D9A", ls="none")
                colon = "\u00a0: " if lang == "fr" else ": "  # French: no-break space before the colon
                below.append(top.annotate(f"{kind}{colon}{label}", (x, y_img), xytext=(0, -7),
                                          textcoords="offset points", ha="center", va="top",
                                          fontsize=6.5, color="#6A3D9A"))
        flare_labels = default_kb().flare
        for s in sorted(case.clinical_status, key=lambda s: s.date):
            colour = {"improving": "#009E73", "stable": "#777777",
                      "deteriorating": "#D55E00"}[s.state.value]
            top.plot([date2num(s.date)], [y_img], marker="P", ms=6, ls="none", color=colour)
            state = (flare_labels.labels.values[s.state.value](lang) if flare_labels
                     else s.state.value)
            below.append(top.annotate(state, (date2num(s.date), y_img), xytext=(0, -8),
                                      textcoords="offset points", ha="center", va="top", fontsize=6.5,
                                      color=colour))
        ticks = [*range(len(lanes)), y_scan, y_img]
        top.set_yticks(ticks, [*lanes, w["scans"], f"{w['imaging']} / {w['clinical']}"])
        top.set_ylim(y_img + 1.0, -0.8)  # inverted: the first lane on top
        top.grid(axis="x", color="#DDDDDD", lw=0.5)
        if as_of:
            for ax in (top, bottom):
                ax.axvline(date2num(as_of), color="#333333", lw=0.8, ls=":")
            above.append(top.annotate(f"{w['as_of']}\n{_day(as_of, lang)}", (date2num(as_of), 1.0),
                                      xycoords=top.get_xaxis_transform(), xytext=(0, 2),
                                      textcoords="offset points", fontsize=6.5, color="#333333",
                                      ha="center", va="bottom"))
        if lanes and any(t.is_systemic_line and t.start for t in case.treatments):
            # Outside the panels: inside, it would sit on the latest events' labels.
            fig.legend(*top.get_legend_handles_labels(), loc="outside lower right", fontsize=6.5,
                       frameon=False)
        ends = _draw_markers(bottom, case, lang)
        for ax in (top, bottom):
            ax.set_xlim(date2num(lo), date2num(hi))
        # The limits are fixed, so the date locator's ticks are too: computed once, not on each of
        # the layout passes (the date rules were a third of the figure's cost).
        locator = AutoDateLocator(minticks=3, maxticks=8)
        bottom.xaxis.set_major_locator(FixedLocator(locator.tick_values(num2date(date2num(lo)),
                                                                        num2date(date2num(hi)))))
        bottom.xaxis.set_major_formatter(_tick_formatter((hi - lo).days, lang))
        _declutter(fig, top, [(above, 1, top), (below, -1, top), (ends, 1, bottom)], title)
    return fig


def _overlap(a: Bbox, b: Bbox, gap: float) -> bool:
    return bool(a.x0 < b.x1 + gap and b.x0 < a.x1 + gap and a.y0 < b.y1 + gap and b.y0 < a.y1 + gap)


def _declutter(fig: Figure, top: Axes, groups: list[tuple[list[Annotation], int, Axes]],
               title: Text) -> None:
    """Move labels that meet apart, each group in its direction (1: up, -1: down), within its panel's width.

    Events on one day (a scan read on the decision date, the usual case) share an x position, so
    their labels must stack. Positions depend on the layout, which depends on the labels: lay out,
    separate, lay out again until nothing moves; the top panel grows downward when a stack leaves it.
    """
    canvas = FigureCanvasAgg(fig)
    gap = 1.5  # pixels
    for _ in range(10):
        fig.draw_without_rendering()
        renderer = canvas.get_renderer()
        obstacles: list[Text] = [*top.get_yticklabels(), title]
        for legend in (*fig.legends, *(ax.get_legend() for ax in fig.axes)):
            if legend is not None:
                obstacles += legend.get_texts()
        placed = [t.get_window_extent(renderer) for t in obstacles if t.get_visible() and t.get_text()]
        moved = False
        for group, direction, panel in groups:
            left, right = panel.bbox.x0 + gap, panel.bbox.x1 - gap
            # Downward: upper rows first (the top panel's y axis is inverted), then left to right.
            # Upward: left to right, lower first. A label gives way to the ones already placed.
            def order(a: Annotation, down: bool = direction < 0) -> tuple[float, float]:
                return (a.xy[1], a.xy[0]) if down else (a.xy[0], a.xy[1])

            for ann in sorted(group, key=order):
                box = ann.get_window_extent(renderer)
                dx = (left - box.x0) if box.x0 < left else (right - box.x1) if box.x1 > right else 0.0
                box = box.translated(dx, 0)
                dy = 0.0
                for _step in range(len(placed) + 1):
                    hit = next((b for b in placed if _overlap(box, b, gap)), None)
                    if hit is None:
                        break
                    step = (hit.y1 + gap - box.y0) if direction > 0 else (hit.y0 - gap - box.y1)
                    box = box.translated(0, step)
                    dy += step
                if dx or dy:
                    ox, oy = ann.xyann
                    ann.xyann = (ox + dx * 72 / fig.dpi, oy + dy * 72 / fig.dpi)
                    # Only a label that grows the panel's outer box changes the layout (the labels
                    # above the panel); the others were moved within it, in points, which keeps them apart.
                    moved = moved or panel is not top or direction > 0
                placed.append(box)
        below = [a for group, direction, panel in groups if direction < 0 and panel is top for a in group]
        lowest = min((a.get_window_extent(renderer).y0 for a in below), default=None)
        if lowest is not None and lowest < top.bbox.y0 + gap:
            y_low = float(top.transData.inverted().transform((0, lowest - 6))[1])
            bottom_y, top_y = top.get_ylim()
            top.set_ylim(max(y_low, bottom_y), top_y)
            moved = True
        if not moved:
            break


def _draw_markers(ax: Axes, case: Case, lang: Lang) -> list[Annotation]:
    """The marker curves; returns their end labels (last value and unit), to be kept apart."""
    w = _WORDS[lang]
    drawn = 0
    ends: list[Annotation] = []
    for analyte, (colour, marker) in _MARKER_STYLE.items():
        values = sorted((x for x in case.labs if x.analyte is analyte), key=lambda x: x.date)
        if not values:
            continue
        base = values[0]
        # A curve only joins values of the first value's unit; a change of assay is not a trend.
        same = [x for x in values if x.unit == base.unit]
        if base.value == 0:
            continue
        xs = [date2num(x.date) for x in same]
        ys = [x.value / base.value * 100 for x in same]
        ax.plot(xs, ys, marker=marker, color=colour, lw=1.2, ms=4,
                label=f"{_MARKER_NAMES[analyte][lang]} ({base.unit})")
        ends.append(ax.annotate(f"{same[-1].value:g} {base.unit}", (xs[-1], ys[-1]), xytext=(4, -3),
                                textcoords="offset points", fontsize=6.5, color=colour))
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, w["no_markers"], transform=ax.transAxes, ha="center", va="center",
                color="#777777")
        ax.set_yticks([])
        return ends
    ax.axhline(100, color="#999999", lw=0.6, ls=":")
    ax.set_ylabel(w["markers"])
    ax.grid(axis="x", color="#DDDDDD", lw=0.5)
    if drawn:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=6.5, frameon=False, ncols=4)
        ax.margins(y=0.15)
    return ends


def render_timeline(case: Case, assessment: Assessment | None = None, lang: Lang = "en",
                    fmt: Format = "svg") -> bytes:
    """The figure as SVG text or PNG bytes."""
    fig = timeline_figure(case, assessment, lang)
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata, dpi=100)
    return buffer.getvalue()
