"""Every field of a lesion is named in words in the missing data (review 25 re-review m8: « sins »)."""

from __future__ import annotations

import pytest

from bonemet.model.case import Lesion
from bonemet.report.labels import field_label


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", sorted(Lesion.model_fields))
def test_a_lesion_field_is_named_in_words(name: str, lang: str) -> None:
    last = field_label(f"exams[0].lesions[0].{name}", lang).split(" · ")[-1]
    assert last != name and "_" not in last, (name, last)
