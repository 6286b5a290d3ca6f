"""The bone plan's CDS Hooks card on patient-view (issue 23): one card, only for what must not
wait for the next tumour board.

A plan finding is worth interrupting a chart opening when a proposal is urgent (the cord-compression
pathway, CC-) or when it concerns a lesion whose fracture / instability axis reads high (Mirels in
the high band, SINS unstable, Harrington class, a recorded fracture): the plan already decided
that, the card only carries it. Every sentence goes through `markdown_text.text` (lesion labels and
facts come from the record); the only links are this service's own knowledge-base pages.
"""

from __future__ import annotations

from bonemet.model import Assessment
from bonemet.model.plan import BonePlan, Proposal, headline
from bonemet.service.cards import CardContext, fit
from bonemet.service.cds_models import Card, Coding, Link, Source
from bonemet.service.markdown_text import bullets, emphasis, labelled, strong, text

PLAN_RULE_SYSTEM = "https://bonemet.invalid/fhir/CodeSystem/plan-rule"


def high_risk(plan: BonePlan) -> tuple[Proposal, ...]:
    """The proposals worth a card: urgent ones, and those about a lesion at high fracture risk."""
    fragile = {les.id for les in plan.lesions if les.fracture.level == "high"}
    return tuple(p for p in plan.proposals
                 if p.priority == "urgent" or fragile.intersection(p.lesions))


def plan_card(assessment: Assessment, cc: CardContext, alarm_raised: bool = False) -> Card | None:
    """The plan's card, or None. `alarm_raised`: another card of the call is already critical
    (SAFE-01 for the same deficit); the plan's card then says what comes next as a warning, so
    that one event never makes two alarms."""
    plan = assessment.plan
    if plan is None:
        return None
    found = high_risk(plan)
    if not found:
        return None
    lang = cc.lang
    where = {les.id: les.label(lang) for les in plan.lesions}
    first = headline(plan) if found[0] is plan.proposals[0] else None
    title = first(lang) if first is not None else found[0].title(lang)
    parts = [strong(cc.texts("pv_plan_title", lang)), emphasis(found[0].strength(lang))]
    for p in found:
        lesions = ", ".join(where.get(x, x) for x in p.lesions)
        head = f"{p.rule_id} — {p.title(lang)}" + (f" ({lesions})" if lesions else "")
        items = [text(f"{cc.texts('pv_plan_check', lang)}: {c.text(lang)} ({c.rule_id})") for c in p.checks]
        items.append(text(p.text(lang)))
        items += [text(f"{cc.texts('pv_plan_caveat', lang)}: {c(lang)}") for c in p.caveats]
        sources = "; ".join(s.label + (f" ({cc.texts('pv_plan_outside', lang)})" if s.outside_referentiel
                                       else "") for s in p.sources)
        items.append(labelled(cc.texts("detail_sources", lang),
                              f"{sources}; {', '.join(p.statement_ids)}; KB {cc.kb.version}", lang))
        parts.append(f"{strong(head)}\n\n{bullets(items)}")
    urgent = any(p.priority == "urgent" for p in found)
    rule_ids = tuple(dict.fromkeys(p.rule_id for p in found))
    summary = cc.texts("pv_plan_summary", lang, line=title)
    return Card(
        uuid=cc.uid("plan", *rule_ids), summary=fit(summary), detail="\n\n".join(parts),
        indicator="critical" if urgent and not alarm_raised else "warning",
        source=Source(label=cc.texts("source_label", lang, kb_version=cc.kb.version),
                      url=f"{cc.base_url}/kb/rules/{rule_ids[0]}",
                      topic=Coding(system=PLAN_RULE_SYSTEM, code=rule_ids[0],
                                   display=found[0].title(lang))),
        links=[Link(label=cc.texts("detail_rule_link", lang, rule=r),
                    url=f"{cc.base_url}/kb/rules/{r}", type="absolute") for r in rule_ids],
    )


def with_plan_card(cards: list[Card], assessment: Assessment, cc: CardContext) -> list[Card]:
    """The patient-view cards with the plan's card: an urgent one right after the other critical
    cards (SAFE-01 says "suspect", the plan says what the board does next), any other at the end."""
    critical = [i for i, c in enumerate(cards) if c.indicator == "critical"]
    card = plan_card(assessment, cc, alarm_raised=bool(critical))
    if card is None:
        return cards
    if not any(p.priority == "urgent" for p in high_risk(assessment.plan)):  # type: ignore[arg-type]
        return [*cards, card]
    at = critical[-1] + 1 if critical else 0
    return [*cards[:at], card, *cards[at:]]
