"""`bonemet kb …`: browse the knowledge base (rules, statements, references).

In Python: `bonemet.kb.default_kb()` and its `rule(id)`, `statement(id)`, `reference(n)`, `refs_for(id)`;
the bone plan's rules (SX-/SP-/RT-/CC-) and statements (PL-) through its `plan` (`rule(id)`,
`statements`, `sources_for(id)`, `refs_for(id)`), as `/api/kb/rules/{id}` serves them.
"""

from __future__ import annotations

import orjson
import typer

from bonemet.cli import render
from bonemet.cli.options import Format, FormatOption, LangOpt, LangOption, as_lang, fail, write
from bonemet.errors import KnowledgeBaseError
from bonemet.kb import KnowledgeBase, default_kb

app = typer.Typer(no_args_is_help=True, help="Browse the knowledge base.")


def _kb() -> KnowledgeBase:
    try:
        return default_kb()
    except KnowledgeBaseError as exc:
        fail(exc)


@app.command("list")
def kb_list(lang: LangOption = LangOpt.en) -> None:
    """List rules and statements with their titles."""
    kb = _kb()
    out = render.console(as_lang(lang))
    out.print(f"[bold]{kb.info.name} {kb.version}[/] — {kb.title(as_lang(lang))}")
    for r in kb.rules.values():
        out.print(f"  [cyan]{r.id}[/] ({r.basis}) {r.title(as_lang(lang))}", highlight=False)
    plan = kb.plan
    for p in plan.rules.values() if plan else ():  # the bone plan's rules (issue 23)
        out.print(f"  [cyan]{p.id}[/] ({p.basis}) {p.title(as_lang(lang))}", highlight=False)
    for s in [*kb.statements.values(), *(plan.statements.values() if plan else ())]:
        text = s.text(as_lang(lang))
        out.print(f"  [green]{s.id}[/] {text[:90]}{'…' if len(text) > 90 else ''}",
                  highlight=False)
    from bonemet.report.labels import labels

    out.print("  " + labels()("kb_ref_count", as_lang(lang)).format(n=len(kb.references)))


@app.command("rule")
def kb_rule(rule_id: str, lang: LangOption = LangOpt.en,
            format: FormatOption = Format.text) -> None:
    """Show one rule (e.g. NM-07, or the bone plan's RT-04)."""
    kb = _kb()
    plan = kb.plan
    if plan is not None and rule_id.upper() in plan.rules:  # the bone plan's catalogue (issue 23)
        p = plan.rules[rule_id.upper()]
        if format is Format.json:  # the shape of the API's PlanRuleView (service/kb_api.py)
            write(orjson.dumps({
                **p.model_dump(mode="json"), "catalogue": "plan",
                "statement_texts": [plan.statements[s].model_dump(mode="json") for s in p.statements],
                "sources": [s.model_dump(mode="json") for s in plan.sources_for(p.id)],
                "references": plan.refs_for(p.id), "plan_version": plan.version,
                "kb_version": kb.version}, option=orjson.OPT_INDENT_2))
        else:
            render.console(as_lang(lang)).print(render.plan_rule(p, plan, as_lang(lang)))
        return
    try:
        r = kb.rule(rule_id.upper())
    except KeyError as exc:
        fail(exc)
    if format is Format.json:
        write(orjson.dumps({**r.model_dump(mode="json"), "references": kb.refs_for(r.id),
                            "kb_version": kb.version}, option=orjson.OPT_INDENT_2))
    else:
        render.console(as_lang(lang)).print(render.rule(r, kb, as_lang(lang)))


@app.command("statement")
def kb_statement(statement_id: str, lang: LangOption = LangOpt.en,
                 format: FormatOption = Format.text) -> None:
    """Show one statement of the chapter (e.g. F20, REC3, FIG2) or of the bone plan (PL-11)."""
    kb = _kb()
    plan = kb.plan
    if plan is not None and statement_id.upper() in plan.statements:
        st = plan.statements[statement_id.upper()]
        if format is Format.json:
            write(orjson.dumps({
                **st.model_dump(mode="json"), "catalogue": "plan",
                "sources": [plan.sources[st.source].model_dump(mode="json")],
                "rules": [r.id for r in plan.rules.values() if st.id in r.statements],
                "plan_version": plan.version, "kb_version": kb.version},
                option=orjson.OPT_INDENT_2))
        else:
            render.console(as_lang(lang)).print(render.plan_statement(st, plan, as_lang(lang)))
        return
    try:
        s = kb.statement(statement_id.upper())
    except KeyError as exc:
        fail(exc)
    if format is Format.json:
        write(orjson.dumps({**s.model_dump(mode="json"), "kb_version": kb.version},
                           option=orjson.OPT_INDENT_2))
    else:
        render.console(as_lang(lang)).print(render.statement(s, as_lang(lang)))


@app.command("ref")
def kb_ref(number: int, format: FormatOption = Format.text) -> None:
    """Show one reference of the chapter's list (1..150)."""
    kb = _kb()
    try:
        r = kb.reference(number)
    except KeyError as exc:
        fail(exc)
    if format is Format.json:
        write(orjson.dumps({**r.model_dump(mode="json"), "kb_version": kb.version},
                           option=orjson.OPT_INDENT_2))
    else:
        render.console().print(render.reference(r))
