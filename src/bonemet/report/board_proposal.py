"""bonemet's proposal for one case, as the tumour-board decision form shows it (issue 25).

Built from the assessment and its headline only: every line is the knowledge base's own words with
its rule id, nothing is re-derived here. `paraphrase` turns the lines into the text the board may
take over into its own proposal / decision fields; from then on the words are the board's (the
decision record keeps `proposal_source`, the knowledge-base version it started from, so the fiche
can say the board started from bonemet's proposal without presenting the board's words as bonemet's).
"""

from __future__ import annotations

from typing import Literal

from bonemet.base import Frozen
from bonemet.base.terms import SkeletalSite
from bonemet.base.text import Text
from bonemet.kb.loader import KnowledgeBase
from bonemet.model import Assessment, Case
from bonemet.model.assessment import RatedModality
from bonemet.model.labels import SITE
from bonemet.report.headline import build_headline
from bonemet.report.labels import labels
from bonemet.report.session_cover import day_words

LineKind = Literal["alert", "do_now", "no_imaging", "not_rated", "scope", "plan", "reading", "note"]

# The exam a rated modality asks for, in the vocabulary of the decision's "imaging requested".
_REQUESTED = {RatedModality.targeted_mri: "mri", RatedModality.targeted_ct: "ct"}


class ProposalLine(Frozen):
    kind: LineKind
    rule_id: str
    text: Text  # the knowledge base's words (title and text joined), both languages
    urgent: bool = False


class BoardProposal(Frozen):
    case_id: str
    kb_version: str  # "<name> <version>": stored with a decision that started from it
    headline: tuple[ProposalLine, ...]  # urgent alerts first, then what to do now
    recommendations: tuple[ProposalLine, ...]  # every recommendation, with its rule id
    plan: tuple[ProposalLine, ...]  # the bone plan's proposals, in the plan's order
    imaging: tuple[str, ...] = ()  # the exam to do now, as an `ImagingChoice`
    ecog: int | None = None  # performance status recorded in the case (least reassuring value)
    biomarkers: str = ""  # the case's driver alterations, as the board writes them

    def paraphrase(self, lang: str) -> str:
        """The proposal as text for the board's proposal field: the headline, then the bone plan."""
        lines = [_line(x, lang) for x in self.headline]
        # The plan's first line is in the headline already.
        lines += [_line(x, lang) for i, x in enumerate(self.plan)
                  if i or all(y.kind != "plan" for y in self.headline)]
        return "\n".join(lines)

    def decision_text(self, lang: str) -> str:
        """The text for the decision field: the headline's lines (what to do now)."""
        return "\n".join(_line(x, lang) for x in self.headline)


def _exam_name(modality: RatedModality, site: SkeletalSite | None) -> Text:
    """The exam in words, with the site a targeted exam aims at (review 25 F13)."""
    L = labels()
    names = {lang: L.enum("rated_modality", modality, lang) for lang in ("en", "fr")}
    if site is not None:  # the in-sentence name ("côtes"), as the rules' texts say it
        where = SITE[site]
        names = {lang: f"{name} ({where(lang)})" for lang, name in names.items()}
    return Text(**names)


def _line(x: ProposalLine, lang: str) -> str:
    return f"- {x.text(lang)} ({x.rule_id})"


def _join(title: Text, text: Text | None, sep: str = " — ") -> Text:
    if text is None:
        return title
    return Text(en=f"{title.en}{sep}{text.en}", fr=f"{title.fr}{sep}{text.fr}")


def _label(prefix_key: str, body: Text) -> Text:
    L = labels()
    return Text(en=f"{L(prefix_key, 'en')}: {body.en}", fr=f"{L(prefix_key, 'fr')}\u00a0: {body.fr}")


def build_proposal(case: Case, a: Assessment, kb: KnowledgeBase) -> BoardProposal:
    L = labels()
    hl = build_headline(a, kb)
    head: list[ProposalLine] = []
    for al in hl.alerts:
        head.append(ProposalLine(kind="alert", rule_id=al.trace.rule_id, urgent=True,
                                 text=_label("hl_urgent", _join(al.title, al.text))))
    if hl.plan_line is not None and hl.plan_rule:
        head.append(ProposalLine(kind="plan", rule_id=hl.plan_rule,
                                 text=_label("plan_title", hl.plan_line)))
    imaging: tuple[str, ...] = ()
    if hl.do_now is not None:
        x = hl.do_now
        exam = x.label or _exam_name(x.modality, x.site)
        # An urgent exam repeats its alert's words: the exam alone then (as the headline does).
        said = x.priority == "urgent" and bool(hl.alerts)
        head.append(ProposalLine(kind="do_now", rule_id=x.trace.rule_id, urgent=x.priority == "urgent",
                                 text=_label("hl_do_now", exam if said else _join(exam, x.reason))))
        imaging = (_REQUESTED.get(x.modality, x.modality.value),)
    elif hl.kind.value in ("no_imaging", "not_rated"):
        kind: LineKind = "no_imaging" if hl.kind.value == "no_imaging" else "not_rated"
        rule = hl.not_indicated[0].trace.rule_id if hl.not_indicated else ""
        text = Text(en=L(f"hl_{kind}", "en"), fr=L(f"hl_{kind}", "fr"))
        if hl.deferred:
            # Review 25 F4: "no imaging now; bone scan from 17 May 2027", never ticked as requested.
            rule = hl.deferred[0].trace.rule_id
            text = Text(**{lang: ("\u00a0; " if lang == "fr" else "; ").join([L("hl_no_imaging_now", lang), *(
                f"{_exam_name(x.modality, x.site)(lang)} {L('hl_deferred_from', lang)} "
                f"{day_words(x.not_before, lang)}" for x in hl.deferred if x.not_before)])
                for lang in ("en", "fr")})
        head.append(ProposalLine(kind=kind, rule_id=rule or "—", text=text))
    elif hl.scope_reason is not None:
        head.append(ProposalLine(kind="scope", rule_id="ADV-02", text=hl.scope_reason))
    for n in hl.notes:
        head.append(ProposalLine(kind="note", rule_id=n.trace.rule_id, text=_join(n.title, n.text)))
    if hl.flare is not None and hl.flare.classification is not None and hl.flare.traces:
        c = hl.flare.classification
        reading = Text(en=L.enum("classification", c, "en"), fr=L.enum("classification", c, "fr"))
        head.append(ProposalLine(kind="reading", rule_id=hl.flare.traces[0].rule_id,
                                 text=_label("hl_follow_up", reading)))
    recs = tuple(ProposalLine(kind="note", rule_id=r.rule_id, urgent=r.priority == "urgent",
                              text=_join(r.title, r.text)) for r in a.recommendations)
    plan = tuple(ProposalLine(kind="plan", rule_id=p.rule_id, urgent=p.priority == "urgent",
                              text=p.title) for p in (a.plan.proposals if a.plan else ()))
    ecog = a.plan.patient.ecog if a.plan is not None else None
    if ecog is None and case.plan_inputs is not None:
        ecog = case.plan_inputs.ecog
    biomarkers = ", ".join(d.gene.value + (f" {d.detail}" if d.detail else "")
                           for d in case.cancer.driver_alterations)
    return BoardProposal(case_id=case.case_id,
                         kb_version=f"{a.knowledge_base.name} {a.knowledge_base.version}",
                         headline=tuple(head), recommendations=recs, plan=plan, imaging=imaging,
                         ecog=ecog, biomarkers=biomarkers)
