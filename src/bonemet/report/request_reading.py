"""A light reading of a request's question (issue 25, item 6): the facts it states, to prefill the
quick check's fields, never to decide anything.

"Douleur osseuse nouvelle" is new bone pain; "TEP de contrôle à 2 mois sous osimertinib" is a
targeted therapy (an EGFR TKI) started about two months ago. French and English keywords only; a
fact the text does not state is left unread (None), and the page shows what was read so that the
user can correct it: the rating is made on the fields, not on the text.
"""

from __future__ import annotations

import re
import unicodedata

from bonemet.base import Frozen
from bonemet.base.terms import SkeletalSite, TreatmentType
from bonemet.core.neuro_words import denies_signs, named_sign


class RequestFacts(Frozen):
    """What the question says, each None when it says nothing about it."""

    new_bone_pain: bool | None = None
    neurological_deficit: bool | None = None
    pain_sites: tuple[SkeletalSite, ...] = ()
    treatment_type: TreatmentType | None = None
    agents: tuple[str, ...] = ()
    months_on_treatment: int | None = None
    line_number: int | None = None

    @property
    def empty(self) -> bool:
        return self == RequestFacts()


def _plain(text: str) -> str:
    """Lower case without accents: "Douleur osseuse récente" and "douleur osseuse recente" alike."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_NO_PAIN = re.compile(r"\b(?:pas de|sans|aucune?|ni) (?:nouvelles? )?douleurs?\b"
                      r"|\bno (?:new )?(?:bone )?pain\b"
                      r"|\bwithout (?:new )?(?:bone )?pain\b|\bpain[- ]free\b|\bindolore\b")
_PAIN = re.compile(r"\bdouleurs?\b|\bdouloureu(?:x|se)s?\b|\bpain(?:ful)?\b|\bdorsalgie|\blombalgie"
                   r"|\bcervicalgie|\brachialgie|\bsciatalgie|\bcruralgie")
# Agents by the class of treatment they give (French and international spellings, no accents).
_AGENTS: dict[TreatmentType, tuple[str, ...]] = {
    TreatmentType.egfr_tki: ("osimertinib", "gefitinib", "erlotinib", "afatinib", "dacomitinib",
                             "lazertinib"),
    TreatmentType.alk_tki: ("alectinib", "brigatinib", "lorlatinib", "crizotinib", "ceritinib"),
    TreatmentType.other_targeted: ("sotorasib", "adagrasib", "dabrafenib", "trametinib",
                                   "capmatinib", "tepotinib", "selpercatinib", "pralsetinib",
                                   "entrectinib", "larotrectinib", "repotrectinib", "amivantamab"),
    TreatmentType.immunotherapy: ("pembrolizumab", "nivolumab", "atezolizumab", "durvalumab",
                                  "cemiplimab", "ipilimumab", "tremelimumab"),
    TreatmentType.chemotherapy: ("carboplatine", "carboplatin", "cisplatine", "cisplatin",
                                 "pemetrexed", "docetaxel", "paclitaxel", "gemcitabine",
                                 "vinorelbine", "etoposide"),
}
_CLASSES: tuple[tuple[re.Pattern[str], TreatmentType], ...] = (
    (re.compile(r"\bchimio[- ]?immunotherapie|\bchemo[- ]?immunotherapy"), TreatmentType.chemo_immunotherapy),
    (re.compile(r"\b(?:itk|tki) (?:anti[- ])?egfr|\begfr[- ](?:itk|tki)"), TreatmentType.egfr_tki),
    (re.compile(r"\b(?:itk|tki) (?:anti[- ])?alk|\balk[- ](?:itk|tki)"), TreatmentType.alk_tki),
    (re.compile(r"\bimmunotherapie|\bimmunotherapy"), TreatmentType.immunotherapy),
    (re.compile(r"\bchimiotherapie|\bchimio\b|\bchemotherapy|\bchemo\b"), TreatmentType.chemotherapy),
    (re.compile(r"\btherapie ciblee|\btargeted therapy"), TreatmentType.other_targeted),
)
# How requests name the painful site besides the catalogue's labels ("rachis dorsal", "hanche").
_SITE_SYNONYMS: dict[SkeletalSite, tuple[str, ...]] = {
    SkeletalSite.thoracic_spine: ("rachis dorsal", "dorsale", "dorsalgie", "dorsalgies",
                                  "thoracic back"),
    SkeletalSite.lumbar_spine: ("lombaire", "lombalgie", "lombalgies", "low back", "lumbar"),
    SkeletalSite.cervical_spine: ("cervicale", "cervicalgie", "cervicalgies", "neck"),
    SkeletalSite.ribs: ("costale", "costal", "cote", "cotes", "rib"),
    SkeletalSite.femur_proximal: ("hanche", "col du femur", "hip"),
    SkeletalSite.pelvis: ("pelvien", "pelvienne", "pelvic", "iliaque"),
    SkeletalSite.humerus: ("epaule", "shoulder"),
}
_MONTHS = re.compile(r"\b(\d{1,2}) ?(?:mois|months?|mo)\b")
_WEEKS = re.compile(r"\b(\d{1,2}) ?(?:semaines?|weeks?|sem)\b")
_LINE = re.compile(r"\b(?:(\d)\s?(?:re|ere|e|eme|nd|rd|st|th)?\s?(?:ligne|line)"
                   r"|(?:ligne|line) ?(\d)|l(\d))\b")
_FIRST_LINE = re.compile(r"\b(?:premiere|first)[- ]line|\bpremiere ligne")


def _treatment(text: str) -> tuple[TreatmentType | None, tuple[str, ...]]:
    agents = tuple(a for kind in _AGENTS for a in _AGENTS[kind] if re.search(rf"\b{a}\b", text))
    kinds = {kind for kind, names in _AGENTS.items() if any(a in names for a in agents)}
    if kinds == {TreatmentType.chemotherapy, TreatmentType.immunotherapy}:
        return TreatmentType.chemo_immunotherapy, agents
    if len(kinds) == 1:
        return kinds.pop(), agents
    if len(kinds) > 1:  # several classes named: the user chooses (the agents are still shown)
        return None, agents
    return next((kind for pattern, kind in _CLASSES if pattern.search(text)), None), agents


def read_request(text: str, site_words: dict[SkeletalSite, tuple[str, ...]] | None = None) -> RequestFacts:
    """The facts a request's question states. `site_words`: the words of each skeletal site (the
    catalogue's labels in both languages), to read where the pain is."""
    plain = _plain(text or "")
    if not plain.strip():
        return RequestFacts()
    pain: bool | None = None
    if _NO_PAIN.search(plain):
        pain = False
    elif _PAIN.search(plain):
        pain = True
    neuro: bool | None = None
    # A sign named outside a negation wins over "no deficit" elsewhere (review 25 F1: a missed sign
    # is the unsafe reading; "pas de déficit moteur mais paresthésies" has a sign). The core reads
    # a stored question with the same words (core/neuro_words.py).
    if named_sign(text) is not None:
        neuro = True
    elif denies_signs(text):
        neuro = False
    sites: tuple[SkeletalSite, ...] = ()
    if pain:
        words_of = {site: (*(site_words or {}).get(site, ()), *_SITE_SYNONYMS.get(site, ()))
                    for site in SkeletalSite if site is not SkeletalSite.other}
        sites = tuple(site for site, words in words_of.items()
                      if any(w and re.search(rf"\b{re.escape(_plain(w))}\b", plain) for w in words))
    kind, agents = _treatment(plain)
    months: int | None = None
    if kind is not None or agents:
        found = _MONTHS.search(plain)
        weeks = _WEEKS.search(plain)
        if found:
            months = int(found.group(1))
        elif weeks:
            months = round(int(weeks.group(1)) / 4.345)
    line: int | None = None
    numbered = _LINE.search(plain)
    if numbered:
        line = int(next(g for g in numbered.groups() if g))
    elif _FIRST_LINE.search(plain):
        line = 1
    return RequestFacts(new_bone_pain=pain, neurological_deficit=neuro, pain_sites=sites,
                        treatment_type=kind, agents=agents, months_on_treatment=months,
                        line_number=line if line and 1 <= line <= 9 else None)
