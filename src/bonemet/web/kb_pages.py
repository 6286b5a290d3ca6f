"""The knowledge-base pages: search over rules, statements and references, one rule, one statement
(moved out of pages.py, which stays under the 600-line bound)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

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
    return page(request, "kb.html", rules=rules, statements=statements, references=references, q=q)


@router.get("/kb/rules/{rule_id}")
async def kb_rule(request: Request, rule_id: str) -> Response:
    kb = default_kb()
    rule = kb.rules.get(rule_id.upper())
    if rule is None:
        return _not_found(request, rule_id)
    refs = [kb.references[n] for n in kb.refs_for(rule.id)]
    statements = [kb.statements[s] for s in rule.statements]
    return page(request, "kb_rule.html", rule=rule, refs=refs, statements=statements)


@router.get("/kb/statements/{statement_id}")
async def kb_statement(request: Request, statement_id: str) -> Response:
    kb = default_kb()
    st = kb.statements.get(statement_id.upper())
    if st is None:
        return _not_found(request, statement_id)
    rules = [r for r in kb.rules.values() if st.id in r.statements]
    return page(request, "kb_statement.html", st=st, refs=[kb.references[n] for n in st.refs],
                rules=rules)
