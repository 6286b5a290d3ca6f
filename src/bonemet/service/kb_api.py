"""The knowledge base over HTTP: rules (the imaging catalogue and the bone plan's), statements and
references, each answer echoing the knowledge version (split from service/api.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from pydantic import BaseModel

from bonemet.api import Problem
from bonemet.base.provenance import KnowledgeBaseInfo
from bonemet.kb.models import Reference, Rule, Statement
from bonemet.kb.plan import PlanRule, PlanSource, PlanStatement
from bonemet.service.context import ServiceContext, service_context
from bonemet.service.errors import ServiceError

router = APIRouter()
Ctx = Annotated[ServiceContext, Depends(service_context)]


class RuleView(Rule):
    references: tuple[int, ...]
    kb_version: str


class PlanRuleView(PlanRule):
    """A bone-plan rule (SX-/SP-/RT-/CC-) with its statements and sources spelled out."""

    catalogue: Literal["plan"] = "plan"
    statement_texts: list[PlanStatement]
    sources: list[PlanSource]
    references: tuple[int, ...]
    plan_version: int
    kb_version: str


class StatementView(Statement):
    kb_version: str


class ReferenceView(Reference):
    kb_version: str


class RuleSummary(BaseModel):
    id: str
    # "explicit"/"derived" for the imaging rules; "referentiel"/"external"/"derived" for the plan's
    catalogue: Literal["imaging", "plan"] = "imaging"
    basis: Literal["explicit", "derived", "referentiel", "external"]
    title: dict[str, str]


class RuleList(BaseModel):
    knowledge_base: KnowledgeBaseInfo
    rules: list[RuleSummary]


@router.get("/api/kb/rules", response_model=RuleList, tags=["knowledge base"])
async def kb_rules(ctx: Ctx) -> RuleList:
    plan = ctx.kb.plan.rules.values() if ctx.kb.plan else ()
    return RuleList(knowledge_base=ctx.kb.info, rules=[
        *(RuleSummary(id=r.id, basis=r.basis, title=r.title.model_dump())
          for r in ctx.kb.rules.values()),
        *(RuleSummary(id=r.id, catalogue="plan", basis=r.basis, title=r.title.model_dump())
          for r in plan),
    ])


# Any rule id of the knowledge base (NM-xx, ADV-xx, SAFE-xx, the plan's SX-/SP-/RT-/CC-...), in
# any case; tests/core/test_rule_registry.py serves every rule of the data through it.
RuleId = Annotated[str, PathParam(pattern=r"^[A-Za-z]{2,4}-\d{2}$", examples=["NM-03"])]


@router.get("/api/kb/rules/{rule_id}", response_model=RuleView | PlanRuleView,
            tags=["knowledge base"], responses={404: {"description": "Unknown rule"}})
async def kb_rule(ctx: Ctx, rule_id: RuleId) -> RuleView | PlanRuleView:
    wanted = rule_id.upper()
    plan = ctx.kb.plan
    if plan is not None and wanted in plan.rules:  # the bone plan's catalogue (issue 23)
        rule = plan.rules[wanted]
        return PlanRuleView(**rule.model_dump(),
                            statement_texts=[plan.statements[s] for s in rule.statements],
                            sources=list(plan.sources_for(wanted)), references=plan.refs_for(wanted),
                            plan_version=plan.version, kb_version=ctx.kb.version)
    try:
        found = ctx.kb.rule(wanted)
    except KeyError as exc:
        raise ServiceError(404, [Problem("rule_id", str(exc.args[0]))], code="not-found") from None
    return RuleView(**found.model_dump(), references=ctx.kb.refs_for(found.id),
                    kb_version=ctx.kb.version)


StatementId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,32}$", examples=["REC3"])]


class PlanStatementView(PlanStatement):
    """A bone-plan statement (PL-xx) with its source spelled out."""

    catalogue: Literal["plan"] = "plan"
    source_detail: PlanSource
    plan_version: int
    kb_version: str


@router.get("/api/kb/statements/{statement_id}", response_model=StatementView | PlanStatementView,
            tags=["knowledge base"], responses={404: {"description": "Unknown statement"}})
async def kb_statement(ctx: Ctx, statement_id: StatementId) -> StatementView | PlanStatementView:
    plan = ctx.kb.plan
    wanted = statement_id.upper()
    if plan is not None and wanted in plan.statements:  # the bone plan's PL-xx
        found = plan.statements[wanted]
        return PlanStatementView(**found.model_dump(), source_detail=plan.sources[found.source],
                                 plan_version=plan.version, kb_version=ctx.kb.version)
    try:
        statement = ctx.kb.statement(statement_id.upper())
    except KeyError as exc:
        raise ServiceError(404, [Problem("statement_id", str(exc.args[0]))],
                           code="not-found") from None
    return StatementView(**statement.model_dump(), kb_version=ctx.kb.version)


@router.get("/api/kb/references/{number}", response_model=ReferenceView, tags=["knowledge base"],
            responses={404: {"description": "Unknown reference"}})
async def kb_reference(ctx: Ctx, number: Annotated[int, PathParam(ge=1, le=100000)]) -> ReferenceView:
    try:
        reference = ctx.kb.reference(number)
    except KeyError as exc:
        raise ServiceError(404, [Problem("number", str(exc.args[0]))], code="not-found") from None
    return ReferenceView(**reference.model_dump(), kb_version=ctx.kb.version)


