"""The patient timeline: treatment lines, their flare windows, bone scans and their readings, markers.

Top panel: one lane per treatment (systemic lines dark, bone-targeted agents and radiotherapy light),
the first 6 months of each systemic line shaded as the flare window with its anniversary as a dashed
boundary, bone scans as markers with their hot-spot count and the interpreter's reading, radiograph
and MRI findings as annotations. Bottom panel: tumour and bone markers, each as a percentage of its
first value (units differ, the shape of the curve is what the reader weighs), with the last value and
unit written at the end of each curve.

Deterministic SVG (fixed hash salt, no date in the metadata), so the figure can be diffed and cached.
Uses matplotlib's object API (no pyplot state), so it is safe to call from a web worker.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Literal

import matplotlib
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

from bonemet.kb import Lang, default_kb
from bonemet.model.assessment import Assessment
from bonemet.model.case import Analyte, Case, Modality, Treatment, TreatmentType
from bonemet.model.followup import Classification, ScanReading

Format = Literal["svg", "png"]

_WORDS: dict[str, dict[str, str]] = {
    "en": {"title": "Timeline", "treatments": "Treatments", "scans": "Bone scans",
           "imaging": "X-ray / MRI", "markers": "Markers (% of first value)",
           "window": "flare window (first 6 months)", "month6": "month 6", "none": "no dated events",
           "clinical": "Clinical", "not_read": "not compared", "as_of": "decision date",
           "no_markers": "no tumour or bone marker recorded"},
    "fr": {"title": "Chronologie", "treatments": "Traitements", "scans": "Scintigraphies",
           "imaging": "Radio / IRM", "markers": "Marqueurs (% de la 1re valeur)",
           "window": "fenêtre du flare (6 premiers mois)", "month6": "6e mois",
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
_BONE_AGENTS = frozenset({TreatmentType.zoledronic_acid, TreatmentType.denosumab})
_RC = {"svg.hashsalt": "bonemet-timeline", "svg.fonttype": "none", "font.family": "DejaVu Sans",
       "font.size": 8.0}


def _dates(case: Case, months: int) -> list[dt.date]:
    from bonemet.core.dates import add_months

    dates = [e.date for e in case.exams] + [x.date for x in case.labs]
    dates += [s.date for s in case.clinical_status]
    dates += [d for t in case.treatments for d in (t.start, t.end) if d]
    # Each line's month 6 is on the picture even when it lies ahead: it is the date to plan for.
    dates += [add_months(t.start, months) for t in case.treatments if t.is_systemic_line and t.start]
    if case.context.as_of:
        dates.append(case.context.as_of)
    if dates and case.cancer.diagnosis_date:
        dates.append(case.cancer.diagnosis_date)
    return dates


def _lane_label(t: Treatment) -> str:
    return t.label()


def _draw_treatments(ax: Axes, case: Case, end: dt.date, lang: Lang, months: int) -> list[str]:
    from bonemet.core.dates import add_months

    w = _WORDS[lang]
    lanes: list[str] = []
    dated = sorted((t for t in case.treatments if t.start),
                   key=lambda t: (t.start or dt.date.min, t.id))
    shown_window = False
    for t in dated:
        assert t.start is not None
        y = len(lanes)
        lanes.append(_lane_label(t))
        stop = t.end or end
        systemic = t.is_systemic_line
        colour = "#4D4D4D" if systemic else ("#8DA0CB" if t.type in _BONE_AGENTS else "#B3B3B3")
        ax.barh(y, date2num(stop) - date2num(t.start), left=date2num(t.start), height=0.5,
                color=colour, edgecolor="none")
        if systemic:
            anniversary = add_months(t.start, months)
            ax.axvspan(date2num(t.start), date2num(anniversary), ymin=0, ymax=1,
                       color="#E69F00", alpha=0.12, lw=0,
                       label=None if shown_window else w["window"])
            ax.axvline(date2num(anniversary), color="#E69F00", ls="--", lw=1)
            ax.text(date2num(anniversary), 1.0, f"{w['month6']}\n{anniversary.isoformat()}",
                    transform=ax.get_xaxis_transform(), fontsize=6.5, color="#8C5A00",
                    ha="center", va="bottom")
            shown_window = True
    return lanes


def _scan_text(reading: ScanReading | None, count: int | None, lang: Lang) -> tuple[str, str]:
    flare = default_kb().flare
    head = f"{count}" if count is not None else "?"
    if reading is None:
        return head, "#333333"
    if reading.classification is None or flare is None:
        return f"{head}\n{_WORDS[lang]['not_read']}", "#777777"
    label = flare.labels.classification[reading.classification](lang)
    return f"{head}\n{label}", _CLASS_COLOUR[reading.classification]


def timeline_figure(case: Case, assessment: Assessment | None = None, lang: Lang = "en") -> Figure:
    """Build the figure (no file written). `assessment` adds the readings of follow-up scans."""
    w = _WORDS[lang]
    months = assessment.follow_up.months if assessment and assessment.follow_up else 6
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(9.0, 5.6), dpi=100, layout="constrained")
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        dates = _dates(case, months)
        fig.suptitle(f"{w['title']} — {case.case_id}", fontsize=10, x=0.02, ha="left")
        if not dates:
            top.text(0.5, 0.5, w["none"], ha="center", va="center", transform=top.transAxes)
            top.set_axis_off()
            bottom.set_axis_off()
            return fig
        first, last = min(dates), max(dates)
        pad = max(10, (last - first).days // 20)
        lo, hi = first - dt.timedelta(days=pad), last + dt.timedelta(days=pad)
        lanes = _draw_treatments(top, case, hi, lang, months)
        y_scan, y_img = len(lanes) + 0.4, len(lanes) + 1.6
        readings = {s.scan_id: s for s in (assessment.follow_up.scans
                                           if assessment and assessment.follow_up else ())}
        for e in sorted(case.exams, key=lambda e: (e.date, e.id)):
            x = date2num(e.date)
            if e.modality in (Modality.bone_scan, Modality.spect_ct):
                text, colour = _scan_text(readings.get(e.id), e.hot_spot_count, lang)
                top.plot([x], [y_scan], marker="o" if e.modality is Modality.bone_scan else "h",
                         ms=9, color=colour, mec="black", mew=0.6, ls="none")
                top.annotate(text, (x, y_scan), xytext=(0, -9), textcoords="offset points",
                             ha="center", va="top", fontsize=6.5, color=colour)
            elif not (e.radiograph_finding or e.mri_finding):
                top.plot([x], [y_img], marker="|", ms=9, color="#999999", ls="none")
                top.annotate(_MODALITY[e.modality], (x, y_img), xytext=(0, 6), textcoords="offset points",
                             ha="center", fontsize=6, color="#777777")
            else:
                finding = e.radiograph_finding or e.mri_finding
                flare = default_kb().flare
                label = (flare.labels.values[finding.value](lang) if flare and finding
                         else str(finding))
                kind = "X" if e.modality is Modality.radiograph else "MRI" if lang == "en" else "IRM"
                top.plot([x], [y_img], marker="v", ms=7, color="#6A3D9A", ls="none")
                top.annotate(f"{kind}: {label}", (x, y_img), xytext=(4, 3), textcoords="offset points",
                             fontsize=6.5, color="#6A3D9A")
        flare_labels = default_kb().flare
        for s in sorted(case.clinical_status, key=lambda s: s.date):
            colour = {"improving": "#009E73", "stable": "#777777",
                      "deteriorating": "#D55E00"}[s.state.value]
            top.plot([date2num(s.date)], [y_img], marker="P", ms=6, ls="none", color=colour)
            state = (flare_labels.labels.values[s.state.value](lang) if flare_labels
                     else s.state.value)
            top.annotate(state, (date2num(s.date), y_img), xytext=(0, -8), textcoords="offset points",
                         ha="center", va="top", fontsize=6.5, color=colour)
        ticks = [*range(len(lanes)), y_scan, y_img]
        top.set_yticks(ticks, [*lanes, w["scans"], f"{w['imaging']} / {w['clinical']}"])
        top.set_ylim(-0.8, y_img + 1.0)
        top.invert_yaxis()
        top.set_xlim(date2num(lo), date2num(hi))
        top.grid(axis="x", color="#DDDDDD", lw=0.5)
        as_of = assessment.as_of if assessment else case.context.as_of
        if as_of:
            for ax in (top, bottom):
                ax.axvline(date2num(as_of), color="#333333", lw=0.8, ls=":")
            top.text(date2num(as_of), 0.02, f"{w['as_of']} ", transform=top.get_xaxis_transform(),
                     fontsize=6, color="#333333", ha="right", va="bottom", rotation=90)
        if lanes and any(t.is_systemic_line and t.start for t in case.treatments):
            top.legend(loc="lower right", fontsize=6.5, frameon=False)
        _draw_markers(bottom, case, lang)
        locator = AutoDateLocator()
        bottom.xaxis.set_major_locator(locator)
        bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return fig


def _draw_markers(ax: Axes, case: Case, lang: Lang) -> None:
    w = _WORDS[lang]
    drawn = 0
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
        # Staggered so that end labels of curves meeting at one point stay readable.
        ax.annotate(f"{same[-1].value:g} {base.unit}", (xs[-1], ys[-1]), xytext=(4, 8 * drawn - 4),
                    textcoords="offset points", fontsize=6.5, color=colour)
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, w["no_markers"], transform=ax.transAxes, ha="center", va="center",
                color="#777777")
        ax.set_yticks([])
        return
    ax.axhline(100, color="#999999", lw=0.6, ls=":")
    ax.set_ylabel(w["markers"])
    ax.grid(axis="x", color="#DDDDDD", lw=0.5)
    if drawn:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=6.5, frameon=False, ncols=4)
        ax.margins(y=0.15)


def render_timeline(case: Case, assessment: Assessment | None = None, lang: Lang = "en",
                    fmt: Format = "svg") -> bytes:
    """The figure as SVG text or PNG bytes."""
    fig = timeline_figure(case, assessment, lang)
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        metadata: dict[str, str | None] = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buffer, format=fmt, metadata=metadata, dpi=100)
    return buffer.getvalue()
