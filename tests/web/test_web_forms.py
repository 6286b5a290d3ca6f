"""The editor's form mapping: input names are the problem paths, and a case survives a round trip."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bonemet.api import InputError, load_case, parse_case
from bonemet.demo import demo_cases
from bonemet.web import form_rows, forms


def flatten(node: Any, prefix: str = "") -> list[tuple[str, str]]:
    """What a browser submits for a document drawn by the editor."""
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out += flatten(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        for i, value in enumerate(node):
            out += flatten(value, f"{prefix}[{i}]")
    else:
        out.append((prefix, forms.shown(node, "text")))
    return out


@pytest.mark.parametrize("path", demo_cases(), ids=lambda p: p.stem)
def test_every_demo_case_round_trips_through_the_form(path):  # type: ignore[no-untyped-def]
    case = load_case(path)
    doc = case.model_dump(mode="json", exclude_none=True)
    assert parse_case(forms.document_from_form(flatten(doc))) == case


def test_problem_paths_are_input_names():  # type: ignore[no-untyped-def]
    pairs = [("case_id", "x"), ("context.phase", "staging"), ("context.as_of", "2025-02-30"),
             ("exams[0].id", "e"), ("exams[0].date", "2025-13-01"), ("exams[0].modality", "bone_scan")]
    with pytest.raises(InputError) as info:
        parse_case(forms.document_from_form(pairs))
    assert {p.field for p in info.value.problems} == {"context.as_of", "exams[0].date"}


@pytest.mark.parametrize(("typed", "sent"), [
    ("20/01/2025", "2025-01-20"), ("1/2/2025", "2025-02-01"), ("2025-01-20", "2025-01-20"),
    ("31/02/2025", "2025-02-31"),  # reformatted, then refused by validation, not silently fixed
    ("12,5", "12.5"),
])
def test_french_dates_and_decimals_are_read(typed, sent):  # type: ignore[no-untyped-def]
    key = "labs[0].value" if "," in typed else "context.as_of"
    doc = forms.document_from_form([(key, typed)])
    # A date stays as typed in the form (shown back as typed, issue 13); the model reads it in ISO.
    assert forms.value_at(doc, key) == (sent if "," in typed else typed)
    assert forms.value_at(forms.for_validation(doc), key) == sent


def test_empty_rows_vanish_and_rows_are_renumbered():  # type: ignore[no-untyped-def]
    doc = forms.document_from_form([
        ("exams[0].id", ""), ("exams[0].date", ""),
        ("exams[3].id", "b"), ("exams[7].id", "c"), ("treatments[0].agents", "osimertinib, x "),
    ])
    assert doc["exams"] == [{"id": "b"}, {"id": "c"}]
    assert doc["treatments"][0]["agents"] == ["osimertinib", "x"]


def test_fields_the_form_does_not_draw_survive():  # type: ignore[no-untyped-def]
    extra = forms.extra_fields({"case_id": "a", "context": {}, "future_section": {"k": 1}})
    assert extra == {"future_section": {"k": 1}}
    import orjson

    doc = forms.document_from_form([("case_id", "a"), ("_extra", orjson.dumps(extra).decode())])
    assert doc["future_section"] == {"k": 1}


def test_add_and_remove_rows():  # type: ignore[no-untyped-def]
    doc = {"exams": [{"id": "a", "lesions": []}, {"id": "b"}]}
    form_rows.add_row(doc, "exams[0].lesions")
    assert len(doc["exams"][0]["lesions"]) == 1
    form_rows.remove_row(doc, "exams[0]")
    assert [e["id"] for e in doc["exams"]] == ["b"]
    form_rows.remove_row(doc, "exams[9]")  # a stale button does no harm
    assert len(doc["exams"]) == 1


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[a-z_]{1,8}(\[[0-9]\])?(\.[a-z_]{1,8}(\[[0-9]\])?){0,2}",
                                        fullmatch=True),
                          st.text(max_size=12)), max_size=12))
def test_any_submission_gives_a_document_or_a_named_problem(pairs):  # type: ignore[no-untyped-def]
    doc = forms.document_from_form(pairs)
    assert isinstance(doc, dict)
    try:
        parse_case(doc)
    except InputError as exc:
        assert exc.problems and all(isinstance(p.field, str) for p in exc.problems)


@pytest.mark.parametrize("path", demo_cases(), ids=lambda p: p.stem)
def test_the_editor_draws_an_input_for_every_value_of_a_case(path):  # type: ignore[no-untyped-def]
    """What a browser posts back is only what the editor drew: nothing of the case may be left out
    (score inputs included), except the top-level entries carried in the hidden `_extra` input."""
    from bonemet.web.pages import _input_names

    doc = load_case(path).model_dump(mode="json", exclude_none=True)
    extra = set(forms.extra_fields(doc))
    posted = {name for name, value in flatten(doc)
              if value != "" and parse_name_head(name) not in extra | {"schema_version"}}
    assert posted <= _input_names(doc)


def parse_name_head(name: str) -> str:
    return str(forms.parse_name(name)[0])


def test_wrong_site_problems_are_placed_on_their_block():  # type: ignore[no-untyped-def]
    pairs = [("case_id", "x"), ("context.phase", "staging"), ("exams[0].id", "e"),
             ("exams[0].date", "2025-01-01"), ("exams[0].modality", "mri"),
             ("exams[0].lesions[0].site", "femur_shaft"), ("exams[0].lesions[0].bilsky", "1a"),
             ("exams[0].lesions[0].sins.pain", "none")]
    with pytest.raises(InputError) as info:
        parse_case(forms.document_from_form(pairs))
    placed = forms.place_problems(info.value.problems)
    assert {p.field for p in placed} == {"exams[0].lesions[0].bilsky", "exams[0].lesions[0].sins"}
