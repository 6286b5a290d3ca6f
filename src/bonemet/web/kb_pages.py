"""The knowledge-base pages: search over rules, statements and references, one rule, one statement
(moved out of pages.py, which stays under the 600-line bound)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from bonemet.kb import default_kb
from bonemet.web.pages import _not_found, lang_of, page

router = APIRouter(include_in_schema=False)


@router.get("/kb")
async def kb_index(request: Request, q: str = "") -> Response:
    kb = default_kb()
    lang = lang_of(request)
    needle = q.strip().lower()

    def hit(*texts: str) -> bool:
        return not needle or any(needle in s.lower() for s in texts)

    rules = [r for r in kb.rules.values() if hit(r.id, r.title(lang), r.text(lang))]  # type: ignore[arg-type]
    statements = [s for s in kb.statements.values() if hit(s.id, s.text(lang), s.topic)]  # type: ignore[arg-type]
    references = [r for r in kb.references.values() if hit(str(r.number), r.citation)]
    plan = kb.plan
    plan_rules = [r for r in plan.rules.values() if hit(r.id, r.title(lang))] if plan else []  # type: ignore[arg-type]
    plan_statements = [s for s in plan.statements.values() if hit(s.id, s.text(lang))] if plan else []  # type: ignore[arg-type]
    return page(request, "kb.html", rules=rules, statements=statements, references=references, q=q,
                plan_rules=plan_rules, plan_statements=plan_statements)


@router.get("/kb/rules/{rule_id}")
async def kb_rule(request: Request, rule_id: str) -> Response:
    kb = default_kb()
    rule = kb.rules.get(rule_id.upper())
    if rule is None:
        return _plan_rule(request, rule_id.upper())
    refs = [kb.references[n] for n in kb.refs_for(rule.id)]
    statements = [kb.statements[s] for s in rule.statements]
    return page(request, "kb_rule.html", rule=rule, refs=refs, statements=statements)


@router.get("/kb/statements/{statement_id}")
async def kb_statement(request: Request, statement_id: str) -> Response:
    kb = default_kb()
    st = kb.statements.get(statement_id.upper())
    if st is None:
        return _plan_statement(request, statement_id.upper())
    rules = [r for r in kb.rules.values() if st.id in r.statements]
    return page(request, "kb_statement.html", st=st, refs=[kb.references[n] for n in st.refs],
                rules=rules)


# The bone plan's rules (SX-, SP-, RT-, CC-) and statements (PL-) live in kb/data/plan.yaml
# (issue 23): the same /kb/rules/{id} and /kb/statements/{id} addresses resolve them, so every rule
# id the case page, the summary or a CDS card shows is a working link.


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders(template: str) -> Markup:
    """A rule's message as written, its {placeholders} marked as code: they are filled from the
    case or from the rule's params, never read as words."""
    return Markup(_PLACEHOLDER.sub(r"<code>{\1}</code>", str(escape(template))))


def _plan_rule(request: Request, rule_id: str) -> Response:
    kb = default_kb()
    plan = kb.plan
    rule = plan.rules.get(rule_id) if plan else None
    if plan is None or rule is None:
        return _not_found(request, rule_id)
    statements = [plan.statements[s] for s in rule.statements]
    refs = [kb.references[n] for n in plan.refs_for(rule.id) if n in kb.references]
    return page(request, "kb_plan_rule.html", rule=rule, statements=statements, refs=refs,
                sources=plan.sources, outside=plan.outside_referentiel(rule.id),
                placeholders=placeholders)


def _plan_statement(request: Request, statement_id: str) -> Response:
    kb = default_kb()
    plan = kb.plan
    st = plan.statements.get(statement_id) if plan else None
    if plan is None or st is None:
        return _not_found(request, statement_id)
    rules = [r for r in plan.rules.values() if st.id in r.statements]
    return page(request, "kb_plan_statement.html", st=st, source=plan.sources[st.source], rules=rules,
                refs=[kb.references[n] for n in st.refs if n in kb.references])
