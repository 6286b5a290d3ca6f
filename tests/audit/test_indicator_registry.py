"""The indicator registry (issue 23): each indicator is one entry of indicators.yaml plus one
function registered with @indicator; the audit refuses definitions and functions that disagree."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from bonemet.audit import synth_bone, synth_story
from bonemet.audit.definitions import default_definitions, parse_definitions
from bonemet.audit.indicators import INDICATOR_IDS, INDICATORS, checked, problems
from bonemet.errors import IndicatorDefsError
from bonemet.kb import strict_yaml

YAML = Path(str(resources.files("bonemet.kb") / "data" / "audit" / "indicators.yaml"))


def _raw() -> dict:  # type: ignore[type-arg]
    return strict_yaml.load_path(YAML)  # type: ignore[no-any-return]


def test_every_definition_has_its_function_and_back() -> None:
    assert problems(default_definitions()) == []
    assert set(default_definitions().ids) == set(INDICATOR_IDS) == set(INDICATORS)


def test_a_definition_without_function_is_refused() -> None:
    raw = _raw()
    extra = dict(raw["indicators"][0], id="new_indicator")
    raw["indicators"].append(extra)
    defs = parse_definitions(raw)
    with pytest.raises(IndicatorDefsError) as caught:
        checked(defs)
    assert "new_indicator: defined in indicators.yaml but no function" in str(caught.value.problems)


def test_a_function_without_definition_is_refused() -> None:
    raw = _raw()
    raw["indicators"] = [d for d in raw["indicators"] if d["id"] != "pet_femurs_not_covered"]
    with pytest.raises(IndicatorDefsError) as caught:
        checked(parse_definitions(raw))
    assert "pet_femurs_not_covered: a function is registered" in str(caught.value.problems)


def test_an_indicator_defined_twice_is_refused() -> None:
    raw = _raw()
    raw["indicators"].append(raw["indicators"][0])
    with pytest.raises(IndicatorDefsError, match="defined twice"):
        parse_definitions(raw)


def test_the_generator_tells_a_story_for_every_indicator() -> None:
    """The synthetic cohort's ground truth marks each indicator (test_ground_truth checks both ways)."""
    source = Path(synth_story.__file__).read_text() + Path(synth_bone.__file__).read_text()
    marked = set(re.findall(r'truth\.mark\(\s*"([a-z_]+)"', source))
    assert marked == set(default_definitions().ids)
