"""Anticancer and bone-targeted agents classified by their WHO ATC class (issue 26).

The substance → ATC table is `data/atc_anticancer.csv`: WHO ATC codes of classes L01 (antineoplastic
agents), L02 (endocrine therapy) and M05B (drugs affecting bone structure), from HL7 Europe's UNICOM IG
CodeSystem ATC-Human-EMA (CC0-1.0; source and commit in the file's header). A medication is classified
by an ATC coding it carries, or by a substance name of the table found in its text or display (an
RxNorm display names its ingredient: "cisplatin 1 MG/ML Injectable Solution").

The ATC class decides the case's treatment type through `_CLASS_RULES` (longest prefix wins). These
rules are bonemet's reading of the ATC groups, not ATC itself: L01EB (EGFR TKIs) and L01ED (ALK
inhibitors) are the lung drivers' own types; the other kinase inhibitors and monoclonal antibodies are
targeted therapy, except the immune-checkpoint antibodies (L01FF PD-1/PD-L1, L01FX04 ipilimumab,
anti-CTLA-4) which are immunotherapy; the cytotoxic groups (L01A-D, L01XA platinum, L01XB, L01XX) are
chemotherapy; L02 is hormone therapy; of M05B, zoledronic acid and denosumab are the case's
bone-targeted agents and the other antiresorptives are recognised but not modelled.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bonemet.fhir.valuesets import normalise_text

ATC_SYSTEMS = frozenset(
    {"http://www.whocc.no/atc", "http://www.whocc.no/atc/", "urn:oid:2.16.840.1.113883.6.73"}
)
NOT_MODELLED = "antiresorptive_not_modelled"

# ATC prefix → the case's TreatmentType (or NOT_MODELLED). Longest prefix wins.
_CLASS_RULES: dict[str, str] = {
    "L01A": "chemotherapy",
    "L01B": "chemotherapy",
    "L01C": "chemotherapy",
    "L01D": "chemotherapy",
    "L01XA": "chemotherapy",
    "L01XB": "chemotherapy",
    "L01XX": "chemotherapy",
    "L01E": "other_targeted",
    "L01EB": "egfr_tki",
    "L01ED": "alk_tki",
    "L01F": "other_targeted",
    "L01FF": "immunotherapy",
    "L01FX04": "immunotherapy",
    "L01XC": "other_targeted",
    "L01XE": "other_targeted",  # pre-2022 codes, still in older records
    "L01XF": "other_targeted",
    "L01XG": "other_targeted",
    "L01XH": "other_targeted",
    "L01XJ": "other_targeted",
    "L01XK": "other_targeted",
    "L01XL": "other_targeted",
    "L01XM": "other_targeted",
    "L01XY": "chemotherapy",
    "L02": "hormone_therapy",
    "M05B": NOT_MODELLED,
    "M05BA08": "zoledronic_acid",
    "M05BX04": "denosumab",
}


@dataclass(frozen=True)
class AtcAgent:
    substance: str
    atc: str  # the current code
    type: str  # a TreatmentType value, or NOT_MODELLED

    @property
    def key(self) -> str:
        """The agent as the case names it (its substance, snake_case like the value-set keys)."""
        return self.substance.replace(" ", "_").replace("-", "_")


def atc_type(code: str) -> str | None:
    code = code.strip().upper()
    best = max((p for p in _CLASS_RULES if code.startswith(p)), key=len, default=None)
    return _CLASS_RULES[best] if best else None


@dataclass(frozen=True)
class _Table:
    by_code: dict[str, AtcAgent]
    by_name: tuple[tuple[str, AtcAgent], ...]  # normalised " name ", longest first


@lru_cache(maxsize=1)
def _table() -> _Table:
    text = (resources.files("bonemet.fhir") / "data" / "atc_anticancer.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    by_code: dict[str, AtcAgent] = {}
    names: list[tuple[str, AtcAgent]] = []
    for row in rows:
        kind = atc_type(row["atc"])
        if kind is None:
            continue
        agent = AtcAgent(row["substance"], row["atc"], kind)
        for code in [row["atc"], *row["previous"].split()]:
            by_code.setdefault(code, agent)
        if "," not in row["substance"]:  # "fluorouracil, combinations" is not a name found in text
            names.append((normalise_text(row["substance"]), agent))
    names.sort(key=lambda n: -len(n[0]))
    return _Table(by_code, tuple(names))


def by_atc_code(code: str) -> AtcAgent | None:
    return _table().by_code.get(code.strip().upper())


def by_text(text: str) -> AtcAgent | None:
    """The substance named in a medication text or display (whole words, accents and case ignored)."""
    norm = normalise_text(text)
    for name, agent in _table().by_name:
        if name in norm:
            return agent
    return None


def all_agents() -> list[AtcAgent]:
    return sorted({a.substance: a for a in _table().by_code.values()}.values(), key=lambda a: a.substance)
