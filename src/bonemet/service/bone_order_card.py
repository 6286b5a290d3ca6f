"""The CDS Hooks card of a zoledronic acid or denosumab draft order (issue 24, BT-06).

One card per order: its indicator is the most severe finding of the order check
(core/plan_bone_orders.py), its summary the first of them, its detail every finding with its
rule, statements and the knowledge-base version. Where the zoledronic acid dose is above the band
of the clearance, one suggestion carries an `update` action: the whole draft MedicationRequest
with the band's dose (CDS Hooks 2.0 §Action: an update holds the resource in its entirety).

No dose is ever suggested where zoledronic acid is not given (clearance under 30 mL/min,
osteonecrosis of the jaw) nor without a clearance; denosumab is not suggested by a click either:
a change of drug (another route, a high hypocalcaemia risk at that clearance) is for the
prescriber to decide, so the card says "to discuss" in words only (HZ-BT-13).
"""

from __future__ import annotations

from bonemet.core.plan_bone_orders import OrderCheck, OrderFinding
from bonemet.service.cards import OVERRIDE_REASONS, OVERRIDE_SYSTEM, CardContext, fit
from bonemet.service.cds_models import Action, Card, Coding, Link, Source, Suggestion
from bonemet.service.fhir_bridge import MedicationOrder, order_with_dose
from bonemet.service.markdown_text import bullets, colon, emphasis, field_path, labelled, strong, text

PLAN_RULE_SYSTEM = "https://bonemet.invalid/fhir/CodeSystem/plan-rule"
# The imaging cards' override reasons that fit a medication order ("exam not available" does not).
_MEDICATION_OVERRIDES = ("patient-specific", "mdt-decision", "data-incorrect")


def _number(x: float | None, lang: str) -> str:
    """A dose: one decimal at least (3.0 mg), more when the order has more (3.25 mg)."""
    s = "?" if x is None else f"{x:.1f}" if round(x, 1) == x else f"{x:g}"
    return s.replace(".", ",") if lang == "fr" else s


def _clearance(x: float | None, lang: str) -> str:
    """A clearance as the plan writes it (45, 56.7): the same figure in summary and detail."""
    s = "?" if x is None else f"{x:g}"
    return s.replace(".", ",") if lang == "fr" else s


def _summary(check: OrderCheck, cc: CardContext, agent: str) -> str:
    lang = cc.lang
    first: OrderFinding | None = check.findings[0] if check.findings else None
    rules = ", ".join(check.rule_ids)
    values = {"agent": agent, "rule": first.rule_id if first else "BT-06", "rules": rules,
              "ordered": _number(check.ordered_mg, lang), "dose": _number(check.band_mg, lang),
              "clearance": _clearance(check.clearance, lang),
              "min": cc.kb.plan.rule("BT-03").param("min_clearance") if cc.kb.plan else "",
              "count": sum(f.severity != "info" for f in check.findings)}
    if first is not None and first.key in ("contraindicated", "onj", "calcium_low", "above",
                                           "unreadable", "double", "hypocalcaemia_high"):
        return cc.texts(f"bo_summary_{first.key}", lang, **values)
    if first is not None and first.key == "unchecked":
        return cc.texts("bo_summary_unchecked", lang, **values, missing=_short_missing(first, lang))
    if check.severity == "info":
        return cc.texts("bo_summary_fine", lang, **values)
    return cc.texts("bo_summary_other", lang, **values)


# The clearance's inputs, short, for the summary (the detail names each with its reason).
_SHORT = {"labs.creatinine": {"en": "creatinine", "fr": "créatinine"},
          "plan_inputs.weight_kg": {"en": "weight", "fr": "poids"},
          "patient.sex": {"en": "sex", "fr": "sexe"},
          "patient.birth_year": {"en": "birth year", "fr": "année de naissance"}}


def _short_missing(finding: OrderFinding, lang: str) -> str:
    return ", ".join(_SHORT[m.field][lang] for m in finding.missing if m.field in _SHORT)


def _finding_md(f: OrderFinding, cc: CardContext, field_prefix: str) -> str:
    lang = cc.lang
    head = f"{f.rule_id} · {cc.texts(f'bo_severity_{f.severity}', lang)}"
    line = f"{strong(head)}{colon(lang)} {text(f.text(lang))}"
    items = [f"{text(m.reason(lang))} ({field_path(_field(m.field, field_prefix))})"
             for m in f.missing]
    return line + ("\n\n  " + "\n  ".join(bullets(items).splitlines()) if items else "")


def _field(path: str, field_prefix: str) -> str:
    """A field of the order (its dose) is named where it is in the request; a case field as is."""
    return f"{field_prefix}.{path}" if path.startswith("dosageInstruction") else path


def bone_order_card(order: MedicationOrder, check: OrderCheck, cc: CardContext,
                    field_prefix: str) -> Card:
    """The card of one draft order. `field_prefix`: where the order sits in the request
    (`context.draftOrders.entry[0].resource`), to name its dose field."""
    lang = cc.lang
    agent = cc.texts(f"agent_{order.agent}", lang)
    key = order.reference or f"{order.agent}:{field_prefix}"
    parts = [strong(cc.texts("bo_title", lang, agent=agent))]
    parts += [_finding_md(f, cc, field_prefix) for f in check.findings]
    if check.contraindicated and check.band_mg is None and order.agent == "zoledronic_acid":
        parts.append(emphasis(cc.texts("bo_no_suggestion_contraindicated", lang)))
    plan = cc.kb.plan
    statements = tuple(dict.fromkeys(s for f in check.findings for s in f.statement_ids))
    if plan is not None:
        caveats = tuple(dict.fromkeys(c(lang) for s in statements if s in plan.statements
                                      for c in plan.statements[s].caveats))
        parts += [emphasis(c) for c in caveats[:3]]
    parts.append(labelled(cc.texts("detail_sources", lang),
                          f"{', '.join(check.rule_ids)} ({', '.join(statements)}); "
                          f"KB {cc.kb.version}", lang))
    suggestions = None
    if check.suggested_mg is not None and order.reference is not None:
        dose, ordered = _number(check.suggested_mg, lang), _number(check.ordered_mg, lang)
        suggestions = [Suggestion(
            label=cc.texts("bo_suggest_dose", lang, dose=dose,
                           clearance=_clearance(check.clearance, lang)),
            uuid=cc.uid("bone-dose", key, f"{check.suggested_mg:g}"), isRecommended=True,
            actions=[Action(type="update", resource=order_with_dose(order.resource,
                                                                    check.suggested_mg),
                            description=cc.texts("bo_action_dose", lang, ordered=ordered,
                                                 dose=dose))])]
    rule_ids = check.rule_ids or ("BT-06",)
    severity = check.severity
    first_title = plan.rule(rule_ids[0]).title(lang) if plan is not None else rule_ids[0]
    return Card(
        uuid=cc.uid("bone-order", key), summary=fit(_summary(check, cc, agent)),
        detail="\n\n".join(parts), indicator=severity,
        source=Source(label=cc.texts("source_label", lang, kb_version=cc.kb.version),
                      url=f"{cc.base_url}/kb/rules/{rule_ids[0]}",
                      topic=Coding(system=PLAN_RULE_SYSTEM, code=rule_ids[0], display=first_title)),
        suggestions=suggestions, selectionBehavior="at-most-one" if suggestions else None,
        overrideReasons=[Coding(system=OVERRIDE_SYSTEM, code=code, display=t[lang])
                         for code, t in OVERRIDE_REASONS if code in _MEDICATION_OVERRIDES]
        if severity != "info" else None,
        links=[Link(label=cc.texts("detail_rule_link", lang, rule=r),
                    url=f"{cc.base_url}/kb/rules/{r}", type="absolute") for r in rule_ids],
    )
