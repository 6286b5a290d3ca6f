"""Facts page 1 of the fiche states beside bonemet's headline (review 25 F9).

The SAFE-01 alert says « douleur rachidienne avec signes ou symptômes neurologiques »; a radiation
oncologist reading page 1 must also see which deficit was recorded and where, even when the context
does not tick it (a Frankel D in the score inputs). The fact is the core's own reading of every
section that can record it (`core.patient.read_patient`: the context's tick, which a FHIR import
fills, Frankel, ASIA, the Tokuhashi palsy), worded by SAFE-01's own source labels, so page 1, the
alert and the plan name the deficit alike: one fact, every section.
"""

from __future__ import annotations

from dataclasses import dataclass

from bonemet.base.text import Text
from bonemet.core.patient import read_patient
from bonemet.core.safety import source_label
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import Case


@dataclass(frozen=True, slots=True)
class NeurologicalRecord:
    """What the record says of a neurological deficit: the sources that record one (`present`)
    and those that say there is none (`absent`); both when the record contradicts itself."""

    present: tuple[Text, ...]
    absent: tuple[Text, ...]

    def words(self, lang: str) -> str:
        sep = " ; " if lang == "fr" else "; "
        return sep.join(t(lang) for t in (self.present or self.absent))  # type: ignore[arg-type]

    def against(self, lang: str) -> str:
        """The sources that deny it, when others record it (shown, never resolved)."""
        sep = " ; " if lang == "fr" else "; "
        return sep.join(t(lang) for t in self.absent) if self.present else ""  # type: ignore[arg-type]


def neurological_record(case: Case, kb: KnowledgeBase) -> NeurologicalRecord | None:
    """None when no section records the neurological status."""
    fact = read_patient(case, None).neurological_deficit  # the deficit does not depend on a date
    if not fact.evidence:
        return None
    return NeurologicalRecord(present=tuple(source_label(kb, e) for e in fact.positive),
                              absent=tuple(source_label(kb, e) for e in fact.negative))
