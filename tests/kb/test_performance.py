"""performance.yaml: every number carries its source, defaults are justified, bad data is refused."""

from __future__ import annotations

import copy
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from bonemet.kb import default_kb
from bonemet.kb.performance import PerformanceTableError, load_performance

SHIPPED = Path(str(resources.files("bonemet.kb") / "data" / "performance.yaml"))
ISSUE_MODALITIES = {"bone_scan", "spect_ct", "wb_spect_ct", "fdg_pet_ct", "naf_pet_ct", "wb_mri"}


def test_shipped_table_is_in_the_knowledge_base() -> None:
    perf = default_kb().performance
    assert perf is not None
    assert set(perf.modalities) >= ISSUE_MODALITIES


def test_every_number_has_a_source_and_every_default_a_reason() -> None:
    perf = default_kb().performance
    assert perf is not None
    for m in perf.modalities.values():
        assert m.default_reason.en and m.default_reason.fr
        assert m.default_entry.evidence == "confirmed"
        for e in m.entries:
            assert perf.source(e.source).citation
            assert e.population_detail.en and e.population_detail.fr


def test_chapter_figures_are_entries_and_ranges_stay_ranges() -> None:
    perf = default_kb().performance
    assert perf is not None
    f04 = perf.entry("chapter_f04")[1]
    assert f04.sensitivity is not None and f04.sensitivity.range == (0.62, 1.0)
    assert f04.specificity is not None and f04.specificity.range == (0.61, 1.0)
    assert f04.statement_ids == ("F04",)
    f07 = perf.entry("chapter_f07")[1]
    assert f07.sensitivity is not None and f07.sensitivity.value == 0.98
    assert f07.specificity is not None and f07.specificity.value == 0.81
    f09 = perf.entry("chapter_f09")[1]
    assert f09.sensitivity is not None and f09.sensitivity.range == (0.80, 0.90)
    assert f09.sensitivity.derived and f09.specificity is None


def test_kruger_is_reference_31_without_numbers() -> None:
    perf = default_kb().performance
    assert perf is not None
    _, e = perf.entry("kruger2009_naf")
    assert perf.source(e.source).guideline_refs == (31,)
    assert e.evidence == "numbers_not_retrieved" and not e.computable


def test_unconfirmed_entries_are_all_from_qu_2012() -> None:
    perf = default_kb().performance
    assert perf is not None
    unconfirmed = {e.source for m in perf.modalities.values() for e in m.entries
                   if e.evidence == "unconfirmed"}
    assert unconfirmed == {"qu2012"}


def _write(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = copy.deepcopy(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")))
    change(data)
    path = tmp_path / "performance.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _bone_scan(data: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in data["modalities"] if m["id"] == "bone_scan")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: _bone_scan(d).update(default="qu2012_bs"), "default 'qu2012_bs' must be confirmed"),
    (lambda d: _bone_scan(d).update(default="nope"), "default 'nope' is not one of its entries"),
    (lambda d: d["sources"][0].update(guideline_refs=[999]), "unknown guideline reference 999"),
    (lambda d: _bone_scan(d)["entries"][0].update(sensitivity={"value": 0.5, "ci95": [0.6, 0.7]}),
     "outside its ci95"),
    (lambda d: _bone_scan(d)["entries"][0].update(sensitivity={"value": 1.2}), "less than or equal to 1"),
    (lambda d: _bone_scan(d)["entries"][0].update(source="unknown"), "unknown source 'unknown'"),
    (lambda d: d["priors"][0].update(events=200), "does not give value"),
    (lambda d: d["texts"].pop("independence"), "missing 'independence'"),
    (lambda d: _bone_scan(d)["entries"][0].update(statement_ids=["F99"]), "unknown statement 'F99'"),
])
def test_inconsistent_table_is_refused(tmp_path: Path, change: Callable[[dict[str, Any]], None],
                                       message: str) -> None:
    kb = default_kb()
    with pytest.raises(PerformanceTableError) as err:
        load_performance(_write(tmp_path, change), kb.references.keys(), kb.statements.keys())
    assert any(message in p for p in err.value.problems), err.value.problems


def _spect(data: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in data["modalities"] if m["id"] == "spect_ct")


@pytest.mark.parametrize("change", [
    lambda d: _bone_scan(d).update(default="song2009_bs"),  # the default before issue 17
    lambda d: _spect(d)["entries"][0].update(specificity={"value": 0.61}),
], ids=["planar-song2009", "spect-specificity-61"])
def test_spect_ct_default_must_dominate_the_planar_default(
        tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Issue 17 (HZ-AD-07): with Song 2009's planar specificity (97.4%) a positive planar scan
    weighed more than a positive SPECT-CT (98/81), so a confirming SPECT-CT lowered the probability."""
    kb = default_kb()
    with pytest.raises(PerformanceTableError) as err:
        load_performance(_write(tmp_path, change), kb.references.keys(), kb.statements.keys())
    assert any("must dominate" in p for p in err.value.problems), err.value.problems
    table = kb.performance
    assert table is not None
    planar_fig = table.figures[("bone_scan", "liu2011_bs")].point_lrs
    spect_fig = table.figures[("spect_ct", "chapter_f07")].point_lrs
    assert planar_fig is not None and spect_fig is not None
    assert spect_fig[0] >= planar_fig[0] and spect_fig[1] <= planar_fig[1]
