"""Issue 26: malformed mCODE elements never give a traceback: the reader returns a result (the element
reported) or refuses the input with its problems (InputError), whatever shape an element takes."""

from __future__ import annotations

import copy
import json
from typing import Any

import mcode_examples as mx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bonemet.errors import InputError
from bonemet.fhir.to_case import case_from_fhir

_RECORDS = {p.stem: json.loads(p.read_text()) for p in sorted(mx.VARIANTS.glob("*.json"))}
_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.text(max_size=8),
    st.lists(st.none(), max_size=2),
    st.just({}),
    st.just([{}]),
    st.just({"coding": "x"}),
    st.just([{"url": 3}]),
    st.just({"value": "1", "code": []}),
)
_KEYS = [
    "code",
    "bodySite",
    "extension",
    "component",
    "valueCodeableConcept",
    "valueInteger",
    "statusReason",
    "medicationCodeableConcept",
    "performedPeriod",
    "effectiveDateTime",
    "authoredOn",
    "status",
    "meta",
    "result",
    "location",
    "dosage",
    "verificationStatus",
    "valueQuantity",
]


def _paths(x: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(x, dict):
        for k, v in x.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_RECORDS)), st.data())
def test_a_junk_element_anywhere_is_reported_or_refused_never_a_crash(name: str, data: st.DataObject) -> None:
    bundle = copy.deepcopy(_RECORDS[name])
    entry = data.draw(st.sampled_from(bundle["entry"][1:]))  # not the Patient
    resource = entry["resource"]
    if data.draw(st.booleans()):
        resource[data.draw(st.sampled_from(_KEYS))] = data.draw(_JUNK)
    else:
        path = data.draw(
            st.sampled_from([p for p in _paths(resource) if p and p[0] not in ("resourceType", "id")])
        )
        target = resource
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = data.draw(_JUNK)
    try:
        result = case_from_fhir(bundle)
    except InputError as exc:
        assert exc.problems  # refused with what is wrong
        return
    assert len(result.report) == len(bundle["entry"])
