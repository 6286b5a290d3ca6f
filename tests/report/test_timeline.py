"""The timeline figure: renders for every example, is deterministic, and is not an empty picture."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from bonemet.api import assess, load_case
from bonemet.report.timeline import render_timeline
from golden import ROOT, example_cases


def _pixels(png: bytes) -> np.ndarray:
    return image.imread(io.BytesIO(png), format="png")[..., :3]


def _near(pixels: np.ndarray, hex_colour: str, tolerance: float = 0.06) -> int:
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return int((np.abs(pixels - rgb).max(axis=-1) < tolerance).sum())


@pytest.mark.parametrize("case", example_cases(), ids=lambda p: p.stem)
def test_every_example_renders_in_both_formats(case: Path) -> None:
    c = load_case(case)
    a = assess(c)
    svg = render_timeline(c, a, "fr", "svg")
    assert svg.startswith(b"<?xml") and b"</svg>" in svg and b"Chronologie" in svg
    png = render_timeline(c, a, "en", "png")
    pixels = _pixels(png)
    non_white = int((pixels.min(axis=-1) < 0.95).sum())
    assert non_white > 0.02 * pixels.shape[0] * pixels.shape[1]  # more than a frame and a title


def test_svg_is_deterministic_and_carries_no_date() -> None:
    c = load_case(ROOT / "examples" / "21-flare-early-flare-likely.yaml")
    a = assess(c)
    first, second = render_timeline(c, a, "en", "svg"), render_timeline(c, a, "en", "svg")
    assert first == second
    assert b"<dc:date>" not in first


def test_labels_follow_the_language() -> None:
    c = load_case(ROOT / "examples" / "21-flare-early-flare-likely.yaml")
    a = assess(c)
    en, fr = render_timeline(c, a, "en", "svg"), render_timeline(c, a, "fr", "svg")
    assert b"flare likely" in en and b"Bone scans" in en and b"month 6" in en
    assert b"flare probable" in fr and b"Scintigraphies" in fr and b"6e mois" in fr


def test_pixels_show_the_flare_window_and_the_reading_colour() -> None:
    c = load_case(ROOT / "examples" / "25-flare-second-line-restarts.yaml")
    pixels = _pixels(render_timeline(c, assess(c), "en", "png"))
    assert _near(pixels, "#B00020") > 30  # the progression marker (bs1, late on line 1)
    # The flare window: orange at 12% over white.
    assert _near(pixels, "#FCF0DF", 0.02) > 5000
    without = _pixels(render_timeline(c, None, "en", "png"))
    assert _near(without, "#B00020") == 0  # no reading without the assessment


def test_case_without_dates_draws_a_placeholder() -> None:
    from bonemet.api import parse_case

    c = parse_case({"schema_version": "1.0", "case_id": "empty", "context": {"phase": "staging"}})
    svg = render_timeline(c, None, "en", "svg")
    assert b"no dated events" in svg


def test_cli_writes_the_figure_and_refuses_unknown_formats(tmp_path: Path) -> None:
    out = tmp_path / "t.png"
    run = [sys.executable, "-m", "bonemet", "timeline", "examples/23-flare-early-conflicting.yaml"]
    ok = subprocess.run([*run, "-o", str(out), "--lang", "fr"], capture_output=True, text=True, cwd=ROOT,
                        timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = subprocess.run([*run, "-o", str(tmp_path / "t.pdf")], capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert bad.returncode == 2 and "use .svg or .png" in bad.stderr and "Traceback" not in bad.stderr
