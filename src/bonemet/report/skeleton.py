"""Skeleton map: an SVG body outline (anterior view) with every recorded bone lesion at its site.

Colour AND shape encode the phenotype (lytic circle, blastic square, mixed diamond, unknown
triangle), so the map still reads in greyscale print and for colour-blind readers; a ring marks an
irradiated site, a hollow marker a lesion not read as suspicious, a dashed outline and a "?" a paired
bone whose side was not recorded (drawn on the midline at its height, never guessed to one side).
The outline is drawn here, by hand, on a 240 x 480 grid; the patient's right is on the viewer's
left, as on any anterior radiological view.

Pure: case in, SVG text out. No I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from bonemet.base import format_day
from bonemet.model.case import Case, Lesion, Phenotype, Side, SkeletalSite
from bonemet.report.labels import labels, site_side

# Marker anchor of each site: (x, y) for the patient's right, and for the left when paired.
_MIDLINE: dict[SkeletalSite, tuple[float, float]] = {
    SkeletalSite.skull: (120, 38),
    SkeletalSite.cervical_spine: (120, 86),
    SkeletalSite.sternum: (120, 122),
    SkeletalSite.thoracic_spine: (120, 160),
    SkeletalSite.lumbar_spine: (120, 210),
    SkeletalSite.sacrum: (120, 250),
}
_PAIRED: dict[SkeletalSite, tuple[float, float]] = {
    # right side coordinates; the left side mirrors them around x = 120
    SkeletalSite.clavicle: (97, 100),
    SkeletalSite.scapula: (84, 120),
    SkeletalSite.ribs: (95, 146),
    SkeletalSite.humerus: (64, 145),
    SkeletalSite.forearm: (52, 212),
    SkeletalSite.pelvis: (97, 246),
    SkeletalSite.acetabulum: (104, 268),
    SkeletalSite.femur_proximal: (103, 288),
    SkeletalSite.femur_shaft: (100, 322),
    SkeletalSite.femur_distal: (99, 352),
    SkeletalSite.tibia_fibula: (98, 405),
}
_OTHER = (216.0, 452.0)

COLOURS: dict[Phenotype | None, str] = {
    Phenotype.lytic: "#b3261e",
    Phenotype.blastic: "#1d4ed8",
    Phenotype.mixed: "#7e22ce",
    None: "#4b5563",
}

_OUTLINE = """
<g class="outline" fill="#eef1f4" stroke="#9aa5b1" stroke-width="1.2">
  <ellipse cx="120" cy="40" rx="25" ry="31"/>
  <path d="M110 70 L110 92 L130 92 L130 70 Z"/>
  <path d="M120 92 C100 92 78 94 70 104 C64 112 60 130 58 150 L44 226 C42 236 40 246 42 256
           L52 258 C56 248 58 238 62 228 L76 170 L80 200 C82 222 84 240 82 262 C80 300 86 340 88 372
           C90 400 88 430 86 458 L106 460 C108 430 110 400 112 372 L118 300 L122 300 L128 372
           C130 400 132 430 134 460 L154 458 C152 430 150 400 152 372 C154 340 160 300 158 262
           C156 240 158 222 160 200 L164 170 L178 228 C182 238 184 248 188 258 L198 256
           C200 246 198 236 196 226 L182 150 C180 130 176 112 170 104 C162 94 140 92 120 92 Z"/>
</g>
<g class="bones" fill="none" stroke="#7b8794" stroke-width="1.4" stroke-linecap="round">
  <path d="M120 74 L120 258"/>
  <path d="M120 100 L90 97 M120 100 L150 97"/>
  <path d="M116 108 L124 108 L123 150 L117 150 Z"/>
  <path d="M118 118 C100 112 88 120 86 132 M122 118 C140 112 152 120 154 132
           M118 134 C100 128 86 136 85 150 M122 134 C140 128 154 136 155 150
           M118 150 C102 146 88 152 88 166 M122 150 C138 146 152 152 152 166
           M118 166 C104 164 94 170 94 180 M122 166 C136 164 146 170 146 180"/>
  <path d="M90 110 L80 132 L98 126 Z M150 110 L160 132 L142 126 Z"/>
  <path d="M73 106 L63 172 M167 106 L177 172"/>
  <path d="M62 178 L50 240 M178 178 L190 240"/>
  <path d="M112 238 C100 232 88 236 88 250 C88 262 98 270 108 270 L114 262
           M128 238 C140 232 152 236 152 250 C152 262 142 270 132 270 L126 262"/>
  <path d="M106 274 L100 362 M134 274 L140 362"/>
  <path d="M99 370 L97 448 M141 370 L143 448"/>
</g>
"""


@dataclass(frozen=True)
class PlacedLesion:
    """One lesion of the case as drawn: its latest record, with when it was first and last seen."""

    site: SkeletalSite
    side: Side | None
    level: str | None
    phenotype: Phenotype | None
    irradiated: bool
    suspicious: bool | None
    first_seen: dt.date
    last_seen: dt.date
    exam_ids: tuple[str, ...]
    x: float
    y: float
    side_unknown: bool
    # Issue 26: a site known from the record's diagnoses (mCODE SecondaryCancerCondition), not seen on
    # an exam of the case: first_seen is the condition's onset, exam_ids is empty.
    on_record: bool = False


@dataclass(frozen=True)
class SkeletonMap:
    lesions: tuple[PlacedLesion, ...]
    svg: str


def _anchor(site: SkeletalSite, side: Side | None) -> tuple[float, float, bool]:
    if site in _MIDLINE:
        x, y = _MIDLINE[site]
        return x, y, False
    if site in _PAIRED:
        x, y = _PAIRED[site]
        if side is Side.left:
            return 240 - x, y, False
        if side is Side.right:
            return x, y, False
        # Midline stated (a pelvis read as a whole): on the midline. No side given: on the midline
        # too, flagged, because drawing it on either side would state a side nobody recorded.
        return 120.0, y, side is not Side.midline
    x, y = _OTHER
    return x, y, False


@dataclass
class _Track:
    lesion: Lesion
    first: dt.date
    last: dt.date
    exam_ids: tuple[str, ...]


def _merge(earlier: Lesion, later: Lesion) -> Lesion:
    """The record of one lesion after a later exam that may not restate every field.

    A field left empty on the later exam means "not stated", not "gone": the phenotype and the
    suspicion keep their last stated value, and a stated one replaces it (a lytic lesion that
    sclerosed on treatment is now blastic: the latest reading is the one to show). Radiotherapy given
    to a site stays part of its history, so "irradiated" never reverts to false.
    """
    return later.model_copy(update={
        "phenotype": later.phenotype if later.phenotype is not None else earlier.phenotype,
        "suspicious": later.suspicious if later.suspicious is not None else earlier.suspicious,
        "irradiated": later.irradiated or earlier.irradiated,
        "irradiated_on": later.irradiated_on or earlier.irradiated_on,
    })


_SPACING = 12.0  # marker centres closer than this would hide each other


def collect(case: Case) -> tuple[PlacedLesion, ...]:
    """Lesions across all exams, one per (site, side, level); later exams update earlier records."""
    tracks: dict[tuple[str, str, str], _Track] = {}
    for exam in sorted(case.exams, key=lambda e: e.date):
        for lesion in exam.lesions:
            key = (lesion.site.value, lesion.side.value if lesion.side else "",
                   (lesion.level or "").strip().upper())
            seen = tracks.get(key)
            if seen is None:
                tracks[key] = _Track(lesion, exam.date, exam.date, (exam.id,))
            else:
                tracks[key] = _Track(_merge(seen.lesion, lesion), seen.first, exam.date,
                                     (*seen.exam_ids, exam.id))
    on_record: set[tuple[str, str, str]] = set()
    imaged = {(site, side) for site, side, _ in tracks}
    for known in case.oncology.bone_metastasis_sites if case.oncology else ():
        side = known.side or ""
        if known.since is None or (known.site.value, side) in imaged:
            continue  # drawn from its exams; an undated record has no place on the timeline of the map
        key = (known.site.value, side, (known.level or "").strip().upper())
        if key not in tracks:  # the level the record names is kept on the map (issue 26 review F4)
            lesion = Lesion(site=known.site, side=Side(known.side) if known.side else None,
                            level=known.level)
            tracks[key] = _Track(lesion, known.since, known.since, ())
            on_record.add(key)
    placed: list[PlacedLesion] = []
    for key, track in tracks.items():
        lesion = track.lesion
        x0, y, unknown = _anchor(lesion.site, lesion.side)
        # Lesions at one place (or at neighbouring anchors: an unsided pelvis by the sacrum) fan out
        # sideways, alternately, so that none hides another.
        n, x = 0, x0
        while any(abs(p.x - x) < _SPACING and abs(p.y - y) < _SPACING for p in placed):
            n += 1
            x = x0 + (1 if n % 2 else -1) * _SPACING * ((n + 1) // 2)
        placed.append(PlacedLesion(
            site=lesion.site, side=lesion.side, level=lesion.level, phenotype=lesion.phenotype,
            irradiated=lesion.irradiated, suspicious=lesion.suspicious, first_seen=track.first,
            last_seen=track.last, exam_ids=track.exam_ids, x=x, y=y, side_unknown=unknown,
            on_record=key in on_record,
        ))
    return tuple(placed)


def _shape(phenotype: Phenotype | None, x: float, y: float, fill: str, stroke: str, dash: str) -> str:
    common = f'fill="{fill}" stroke="{stroke}" stroke-width="1.6"{dash}'
    if phenotype is Phenotype.lytic:
        return f'<circle cx="{x:g}" cy="{y:g}" r="5.5" {common}/>'
    if phenotype is Phenotype.blastic:
        return f'<rect x="{x - 5:g}" y="{y - 5:g}" width="10" height="10" {common}/>'
    if phenotype is Phenotype.mixed:
        d = f"M{x:g} {y - 6.5:g} L{x + 6.5:g} {y:g} L{x:g} {y + 6.5:g} L{x - 6.5:g} {y:g} Z"
        return f'<path d="{d}" {common}/>'
    return f'<path d="M{x:g} {y - 6:g} L{x + 6:g} {y + 5:g} L{x - 6:g} {y + 5:g} Z" {common}/>'


def describe(lesion: PlacedLesion, lang: str) -> str:
    L = labels()
    parts = [L.enum("site", lesion.site, lang)]
    if lesion.side and lang == "fr":  # the side agrees with the site ("côtes gauches")
        parts[-1] = site_side(lesion.site, lesion.side, lang)
    elif lesion.side:
        parts.append(L.enum("side", lesion.side, lang))
    if lesion.level:
        parts.append(lesion.level)
    parts.append(L.enum("phenotype", lesion.phenotype, lang) if lesion.phenotype
                 else L("phenotype_unknown", lang))
    if lesion.irradiated:
        parts.append(L("irradiated", lang))
    if lesion.suspicious is False:
        parts.append(L("not_suspicious", lang))
    if lesion.side_unknown:
        parts.append(L("side_unknown", lang))
    if lesion.on_record:
        parts.append(f"{L('on_record_since', lang)} {format_day(lesion.first_seen, lang)}")
        return " — ".join(parts)
    seen = format_day(lesion.first_seen, lang)
    if lesion.last_seen != lesion.first_seen:
        seen += f" → {format_day(lesion.last_seen, lang)}"
    parts.append(f"{L('seen_on', lang)} {seen} ({', '.join(lesion.exam_ids)})")
    return " — ".join(parts)


def _marker(lesion: PlacedLesion, lang: str) -> str:
    colour = COLOURS[lesion.phenotype]
    fill = "#ffffff" if lesion.suspicious is False else colour
    dash = ' stroke-dasharray="2 1.5"' if lesion.side_unknown else ""
    out = [f'<g class="lesion" data-site="{lesion.site.value}" '
           f'data-phenotype="{lesion.phenotype.value if lesion.phenotype else "unknown"}">',
           f"<title>{escape(describe(lesion, lang))}</title>"]
    if lesion.irradiated:
        out.append(f'<circle cx="{lesion.x:g}" cy="{lesion.y:g}" r="9.5" fill="none" '
                   f'stroke="#111827" stroke-width="1.3"/>')
    out.append(_shape(lesion.phenotype, lesion.x, lesion.y, fill, colour if fill == "#ffffff" else "#111827",
                      dash))
    if lesion.side_unknown:
        out.append(f'<text x="{lesion.x + 5:g}" y="{lesion.y - 5:g}" font-size="8" font-weight="bold" '
                   f'fill="#111827" aria-hidden="true">?</text>')
    if lesion.level:
        anchor = "end" if lesion.x < 120 else "start"
        tx = lesion.x - 10 if lesion.x < 120 else lesion.x + 10
        out.append(f'<text x="{tx:g}" y="{lesion.y + 3:g}" font-size="8.5" text-anchor="{anchor}" '
                   f'fill="#111827">{escape(lesion.level)}</text>')
    out.append("</g>")
    return "".join(out)


def _legend(lang: str) -> str:
    L = labels()
    rows = [(Phenotype.lytic, L.enum("phenotype", Phenotype.lytic, lang)),
            (Phenotype.blastic, L.enum("phenotype", Phenotype.blastic, lang)),
            (Phenotype.mixed, L.enum("phenotype", Phenotype.mixed, lang)),
            (None, L("phenotype_unknown", lang))]
    out = [f'<g class="legend" font-size="9" fill="#111827"><text x="246" y="24" font-weight="bold">'
           f'{escape(L("legend", lang))}</text>']
    y = 42.0
    for phenotype, text in rows:
        out.append(_shape(phenotype, 254, y, COLOURS[phenotype], "#111827", ""))
        out.append(f'<text x="266" y="{y + 3:g}">{escape(text)}</text>')
        y += 18
    out.append(f'<circle cx="254" cy="{y:g}" r="9.5" fill="none" stroke="#111827" stroke-width="1.3"/>'
               f'<circle cx="254" cy="{y:g}" r="5" fill="#4b5563" stroke="#111827"/>'
               f'<text x="268" y="{y + 3:g}">{escape(L("irradiated", lang))}</text>')
    y += 20
    out.append(f'<circle cx="254" cy="{y:g}" r="5.5" fill="#ffffff" stroke="#4b5563" stroke-width="1.6"/>'
               f'<text x="266" y="{y + 3:g}">{escape(L("not_suspicious", lang))}</text>')
    y += 18
    out.append(f'<circle cx="254" cy="{y:g}" r="5.5" fill="#4b5563" stroke="#111827" stroke-width="1.6" '
               f'stroke-dasharray="2 1.5"/><text x="259" y="{y - 5:g}" font-size="8" font-weight="bold">?'
               f'</text><text x="266" y="{y + 3:g}">{escape(L("side_unknown", lang))}</text>')
    out.append("</g>")
    return "".join(out)


def skeleton_map(case: Case, lang: str) -> SkeletonMap:
    """The map of every lesion of the case, with its legend, in the given language."""
    L = labels()
    lesions = collect(case)
    title = escape(f"{L('skeleton_map', lang)} — {case.case_id}")
    desc = escape(L("skeleton_caption", lang))
    other = ""
    if any(lesion.site is SkeletalSite.other for lesion in lesions):
        other = (f'<rect x="196" y="436" width="40" height="30" rx="4" fill="none" stroke="#9aa5b1"/>'
                 f'<text x="216" y="432" font-size="8" text-anchor="middle" fill="#111827">'
                 f'{escape(L.enum("site", SkeletalSite.other, lang))}</text>')
    sides = (f'<text x="20" y="476" font-size="8" fill="#4b5563">{escape(L.enum("side", Side.right, lang))}'
             f'</text><text x="220" y="476" font-size="8" fill="#4b5563" text-anchor="end">'
             f'{escape(L.enum("side", Side.left, lang))}</text>')
    markers = "".join(_marker(lesion, lang) for lesion in lesions)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 392 480" class="skeleton-map" '
           f'role="img" aria-labelledby="skm-title skm-desc" font-family="DejaVu Sans, Arial, sans-serif">'
           f'<title id="skm-title">{title}</title><desc id="skm-desc">{desc}</desc>'
           f"{_OUTLINE}{other}{sides}{markers}{_legend(lang)}</svg>")
    return SkeletonMap(lesions=lesions, svg=svg)
