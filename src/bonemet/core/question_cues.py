"""What in a request's wording makes it "a specific clinical question" (REC2; review 25 F2).

REC2: « En dehors d'une question clinique précise, la scintigraphie osseuse n'est pas indiquée pour
le suivi. » Any text in the question box used to count as that question, so « Pas de douleur
osseuse » or « Scintigraphie de contrôle annuelle » made a routine follow-up scan "may be
appropriate". The request's own wording is not the question: a question is specific when it names
something the scan would answer, and only then:

- a symptom (bone pain, a neurological sign, a fracture, a limp), outside a negation;
- a finding (a lesion, a focus, an image, an uptake), with or without its site;
- a laboratory anomaly that points at bone (alkaline phosphatase, calcium, tumour or bone markers
  said to rise or be high; hypercalcaemia);
- a decision that depends on the skeleton's state (surgery, operability, radiotherapy);
- a named bone site or vertebral level ("is the sacrum healing?", "T11").

The exam's name, "control", "annual", "routine", "follow-up" name no question. One reader for every
place the rule is applied: NM-04 and NM-05 read a stored case's `context.question_text` with it and
the quick check shows what it read with it (one fact, one control). The rating says what was read
(the cue and its words), so the user can see why the text counted or did not.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Cue(StrEnum):
    """The kinds of thing that make a question specific (each labelled in NM-04's messages)."""

    symptom = "symptom"
    finding = "finding"
    lab_anomaly = "lab_anomaly"
    decision = "decision"
    site = "site"


@dataclass(frozen=True, slots=True)
class QuestionCue:
    kind: Cue
    words: str  # as typed in the text


def plain(text: str) -> str:
    """Lower case without accents ("Douleur récente" and "douleur recente" alike); one character
    per character of the lower-cased text, so a match's span points into it."""
    out = []
    for c in text.lower():
        base = "".join(x for x in unicodedata.normalize("NFKD", c) if not unicodedata.combining(x))
        out.append(base[:1] or c)
    return "".join(out)


# A negation and the few words it governs, up to a "but" ("sans douleur mais PAL en hausse").
_NEGATED = re.compile(r"\b(?:pas d[e']|absence d[e']|(?:pas|sans|aucune?|ni|no|not|without|denies)\b)"
                      r"\s*(?:(?!mais\b|but\b|et\b|and\b)[a-z0-9'-]+[ ]*){1,3}")
_CUES: tuple[tuple[Cue, re.Pattern[str]], ...] = (
    (Cue.symptom, re.compile(
        r"\bdouleurs?\b|\bdouloureu(?:x|se)s?\b|\b(?:dorsal|lombal|cervical|rachial|sciatal|crural)gies?"
        r"|\bfaiblesses?\b|\bdeficits?\b|\bparesthesies?|\bparaparesie|\bparaplegie|\bboiterie"
        r"|\bimpotence|\bfractures?\b|\btassements?\b|\bpain(?:ful)?\b|\bweakness\b|\bnumbness\b"
        r"|\blimp(?:ing)?\b|\bback ?ache\b")),
    (Cue.finding, re.compile(
        r"\blesions?\b|\bfoyers?\b|\bimages?\b|\banomalies?\b|\bhyperfixations?\b"
        r"|\bfixations? (?:douteuse|suspecte|anormale)s?|\b(?:osteo)?lyses?\b|\bcondensations?\b"
        r"|\bnodules?\b|\bmetastases? (?:suspecte|osseuse)s?|\bfoc(?:us|i)\b|\bfindings?\b"
        r"|\babnormalit(?:y|ies)\b|\bhot ?spots?\b|\buptake\b")),
    (Cue.lab_anomaly, re.compile(
        r"\bhypercalc(?:e|ae)mi(?:e|a)\b"
        r"|\b(?:phosphatases? alcalines?(?: osseuses?)?|pal\b|calcemie|ctx|marqueurs?"
        r"(?: osseux| tumoraux)?|ace\b|cea\b|cyfra(?: ?21-1)?|alkaline phosphatase|alp\b|bone markers?"
        r"|tumou?r markers?)[^.;:?!]{0,25}?\b(?:hausse|augment\w*|eleve\w*|ascension|anormal\w*"
        r"|rising|raised|elevated|increas\w*|high)"
        r"|\b(?:rising|raised|elevated|increasing|high|hausse d[eu']s?|elevation d[eu']s?"
        r"|augmentation d[eu']s?)\s?(?:la |l')?(?:phosphatases? alcalines?|pal\b|calcemie|ctx"
        r"|marqueurs?|ace\b|cea\b|cyfra|alkaline phosphatase|alp\b|bone markers?|tumou?r markers?"
        r"|calcium)")),
    (Cue.decision, re.compile(
        r"\bchirurgi\w*|\boperab\w*|\bresec\w*|\bradiotherap\w*|\bstereotax\w*|\bosteosynthese"
        r"|\bconsolidation\b|\bsurgery\b|\bsurgical\b|\boperable\b|\bradiotherapy\b|\bsbrt\b")),
    (Cue.site, re.compile(
        r"\b[ctls] ?\d{1,2}\b|\brachis\b|\bvertebr\w*|\bsacr(?:um|ee?)\b|\bbassin\b|\biliaque\b"
        r"|\bcotyle\b|\bhanche\b|\bfemur\b|\bfemorale?\b|\bcotes?\b|\bcostale?\b|\bsternum\b"
        r"|\bcrane\b|\bhumerus\b|\bhumerale?\b|\bepaule\b|\bomoplate\b|\bclavicule\b"
        r"|\bspine\b|\bvertebra\w*|\bpelvi[cs]\b|\bhip\b|\bribs?\b|\bskull\b|\bshoulder\b"
        r"|\bacetabul\w*|\bscapula\b|\bclavicle\b")),
)


def question_cues(text: str | None) -> tuple[QuestionCue, ...]:
    """The cues of a specific clinical question in `text`, one per kind, in the order of `Cue`;
    () when the text names none (it is then no specific question, whatever it says)."""
    if not text or not text.strip():
        return ()
    # The words are quoted as typed ("T11", not "t11") when lower-casing kept the length.
    lowered = text if len(text.lower()) == len(text) else text.lower()
    flat = plain(text)
    # A negated phrase names nothing: blank it out (same length, so spans still match `lowered`).
    kept = _NEGATED.sub(lambda m: " " * len(m.group(0)), flat)
    found = []
    for kind, pattern in _CUES:
        m = pattern.search(kept)
        if m is not None:
            found.append(QuestionCue(kind, lowered[m.start():m.end()].strip()))
    return tuple(found)
