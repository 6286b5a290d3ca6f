"""Neurological symptoms or signs named in free text: a request's question, the question stored in
the case (review 25 F1, re-review U1/U2).

A referrer writes « jambes qui se dérobent » or « Frankel C » in the question and ticks nothing: the
deficit is recorded all the same, and SAFE-01 (spinal pain with neurological symptoms or signs:
whole-spine MRI within 24 hours, NICE QS56/NG234) must see it wherever it is written. One reader
for the quick check's prefill and for the core's reading of a stored case (one fact, one control).
Only the direction that matters is read: a sign named outside a negation is a sign; « pas de
déficit » in free text is never taken as the reassuring answer by the core.
"""

from __future__ import annotations

import re

from .question_cues import plain

# A negated sign ("pas de déficit moteur", "sans faiblesse des jambes", "no neurological deficit").
NEGATED_SIGNS = re.compile(
    r"\b(?:pas de|sans|aucun) (?:signes? |deficits? )(?:neurologiques?|moteurs?)?"
    r"|\b(?:pas de|sans|aucune?) (?:faiblesse|paresthesie|trouble)s?"
    r"(?: (?:des |de la |du )?(?:jambes?|membres?(?: inferieurs?)?|marche|sphincteriens?))?"
    r"|\bno (?:neurological|neuro|motor) (?:deficit|signs?|symptoms?)\b"
    r"|\bwithout (?:neurological|motor) (?:deficit|signs?)\b")
# Motor, gait, sensory and sphincter words (French and English, accents removed), the cord's
# syndromes, and the cord-function grades written as text (Frankel and ASIA A to D).
SIGNS = re.compile(
    r"\bdeficits? (?:neurologiques?|moteurs?|sensitifs?)|\bsignes? neurologiques?"
    r"|\bparaparesie|\bparaplegie|\btetrapar\w*|\btetraplegie|\bmonoparesie|\bparesie|\bparalysie"
    r"|\btroubles? sphincteriens?|\bcompression medullaire|\bsyndrome de la queue de cheval"
    r"|\bqueue de cheval|\bneurological (?:deficit|signs?|symptoms?)"
    r"|\bparaparesis|\bparaplegia|\btetrapar\w*|\bquadripar\w*|\bleg weakness|\bsphincter"
    r"|\bcord compression|\bcauda equina"
    r"|\bfaiblesses? (?:des |de la |du |d'une |musculaires? )?(?:jambes?|membres?|cuisses?|bras)"
    r"|\bdeficits? (?:des |d'un |du )?(?:membres?|jambes?)|\btroubles? de la marche"
    r"|\bmarche (?:difficile|instable|impossible)|\bne (?:marche|tient) plus(?: debout)?"
    r"|\b(?:jambes?|genoux) qui (?:se )?derob\w*|\bderobements?|\bse derob\w*"
    r"|\bjambes? lourdes?|\blourdeurs? des (?:jambes|membres)"
    r"|\bperte (?:de (?:la )?)?force|\bforce (?:diminuee|reduite)|\bperte de (?:la )?sensibilite"
    r"|\bparesthesies?|\bhypoesthesies?|\banesthesies? en selle|\bengourdissements?|\bfourmillements?"
    r"|\bincontinence|\bretention (?:urinaire|aigue)|\bglobe vesical"
    r"|\bchutes? (?:a repetition|repetees?|multiples?)|\bniveau sensitif"
    r"|\bfrankel [a-d]\b|\basia [a-d]\b"
    r"|\bweak(?:ness)? (?:of |in )?(?:the )?(?:legs?|arms?|lower limbs?|limbs?)|\bweak legs?"
    r"|\blimb weakness|\bloss of (?:strength|power|sensation)|\blegs? giving way|\bdifficulty walking"
    r"|\bunable to (?:walk|stand)|\brepeated falls|\bgait (?:disturbance|difficult(?:y|ies)|problems?)"
    r"|\bunsteady gait|\bparaesthesi?as?|\bparesthesi?as?|\bnumbness|\bsensory (?:loss|level)"
    r"|\bsaddle an(?:a)?esthesia|\burinary retention|\bbladder (?:or|and) bowel")


def named_sign(text: str | None) -> str | None:
    """The first neurological symptom or sign `text` names outside a negation, in its own words
    (as typed); None when it names none."""
    if not text or not text.strip():
        return None
    flat = plain(text)  # one character per character of text.lower(): spans point into it
    kept = NEGATED_SIGNS.sub(lambda m: " " * len(m.group(0)), flat)
    m = SIGNS.search(kept)
    if m is None:
        return None
    lowered = text if len(text.lower()) == len(text) else text.lower()
    return lowered[m.start():m.end()].strip()


def denies_signs(text: str | None) -> bool:
    """Whether `text` says there is no neurological deficit (read only for the quick check's
    prefill, which the user sees and corrects; never by the core)."""
    return bool(text) and NEGATED_SIGNS.search(plain(text or "")) is not None
