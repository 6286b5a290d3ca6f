"""Calculators over HTTP: the tumour-board scores (`bonemet.scores`) and post-test probability
(`bonemet.core.probability`). Thin: the inputs go to the same functions the CLI calls."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from bonemet.api import Problem
from bonemet.core.plan_next_steps import FAMILIES, next_steps
from bonemet.core.probability import CalculationError, calculate
from bonemet.model.plan import Proposal
from bonemet.model.probability import BinaryResult, Calculation
from bonemet.model.scores import ScoreInputError, ScoreResult
from bonemet.scores.registry import SCORE_IDS, SCORES
from bonemet.service.context import ServiceContext, service_context
from bonemet.service.errors import ServiceError, decode_json_object

router = APIRouter(tags=["calculators"])
Ctx = Annotated[ServiceContext, Depends(service_context)]

# The path enum of /api/scores/{name} is the score registry (bonemet.scores.registry): a score added
# there (one table, one function) is served here without an edit.
if TYPE_CHECKING:
    ScoreName = str
else:
    ScoreName = Literal[SCORE_IDS]


_SCORE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": True,
               "description": "The score's inputs by name (as `bonemet score <name> --help` lists them)"},
    "examples": {"mirels": {"summary": "Mirels, lytic lesion of the proximal femur",
                            "value": {"site": "peritrochanteric", "pain": "functional",
                                      "lesion": "lytic", "size": "gt-2/3"}}},
}}}}


class ScoreAnswer(ScoreResult):
    """The score, and the bone plan's next steps for it (issue 23): what the plan's rules propose
    for one lesion holding only these inputs, for the board to discuss (empty for Tomita, which the
    plan does not read, or when nothing is proposed)."""

    next_steps: tuple[Proposal, ...] = ()


def _next_steps(name: str, body: dict[str, Any], result: ScoreResult,
                ctx: ServiceContext) -> tuple[Proposal, ...]:
    if name not in FAMILIES:
        return ()
    grade = result.grade.id if result.grade is not None else None
    try:
        return next_steps(name, body, ctx.kb, dt.date.today(), grade)[1]
    except ValueError:  # inputs the case model refuses (pydantic's ValidationError): none
        return ()


@router.post("/api/scores/{name}", response_model=ScoreAnswer, openapi_extra=_SCORE_BODY,
             responses={422: {"description": "Unknown or invalid inputs, each one named"}})
async def score(ctx: Ctx, request: Request, name: ScoreName) -> ScoreAnswer:
    """One tumour-board score (Mirels, SINS, revised Tokuhashi, Tomita, Frankel, ASIA, Bilsky,
    Harrington) from its inputs, with bands, thresholds and sources."""
    entry = SCORES[name]
    body = decode_json_object(await request.body())
    known = entry.parameters()
    unknown = [k for k in body if k not in known]
    if unknown:
        raise ServiceError(422, [Problem(k, f"not an input of {name}; inputs: {', '.join(known)}")
                                 for k in unknown])
    try:
        result: ScoreResult = entry(**body, kb=ctx.kb)
    except ScoreInputError as exc:
        raise ServiceError(422, [_score_problem(str(p)) for p in exc.problems]) from None
    except (TypeError, ValueError) as exc:
        raise ServiceError(422, [Problem("", f"{name}: {exc}")]) from None
    steps = _next_steps(name, body, result, ctx)
    return ScoreAnswer.model_validate({**dict(result), "next_steps": steps})


def _score_problem(text: str) -> Problem:
    field, sep, message = text.partition(": ")
    return Problem(field, message) if sep else Problem("", text)


class TestResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    modality: str = Field(min_length=1, examples=["fdg_pet_ct"])
    result: BinaryResult


class ProbabilityRequest(BaseModel):
    """Give either `pretest` (0-1) or a documented `prior` of the performance table."""

    model_config = ConfigDict(extra="forbid")

    tests: list[TestResult] = Field(min_length=1)
    pretest: float | None = Field(None, examples=[0.3])
    prior: str | None = Field(None, examples=["nsclc_staging"])
    sources: dict[str, str] = Field(default_factory=dict)


@router.post("/api/probability", response_model=Calculation,
             responses={422: {"description": "Invalid inputs, each one named"}})
async def probability(ctx: Ctx, body: ProbabilityRequest) -> Calculation:
    """Post-test probability of bone metastases after one or several exam results (in order)."""
    table = ctx.kb.performance
    if table is None:
        raise ServiceError(422, [Problem("", "this knowledge base has no test-performance table")])
    try:
        return calculate(table, [(t.modality, t.result) for t in body.tests], pretest=body.pretest,
                         prior_id=body.prior, sources=body.sources)
    except CalculationError as exc:
        raise ServiceError(422, [Problem(exc.field, exc.reason)]) from None
