"""Bilingual texts of the service (kb/data/cds_texts.yaml) and the choice of language per request."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from bonemet.kb import KnowledgeBaseError, Lang, Text, default_kb, strict_yaml, templates

REQUIRED = (
    "source_label", "order_rated_summary", "order_no_criteria_summary", "order_not_rated_summary",
    "order_not_rated_detail", "suggest_replace", "action_rating_update", "action_delete_order",
    "action_create_order", "pv_femurs_summary", "pv_coverage_unknown_summary", "pv_isolated_summary",
    "pv_flare_summary", "pv_plan_summary", "pv_plan_title", "pv_plan_check",
    "pv_plan_caveat", "pv_plan_outside", "detail_reading", "detail_assumed", "detail_why", "detail_missing",
    "detail_sources", "detail_interpretation",
    "detail_rule_link", "missing_and", "not_lung_order", "service_order_title",
    "service_order_description", "service_patient_title", "service_patient_description",
    "service_usage",
)


class _Texts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    texts: dict[str, Text]


class Texts:
    def __init__(self, texts: dict[str, Text]) -> None:
        self._texts = texts

    def __call__(self, key: str, lang: Lang, **values: object) -> str:
        template = self._texts[key](lang)
        return template.format(**values) if values else template

    def text(self, key: str) -> Text:
        return self._texts[key]


def load_texts(path: Path | None = None) -> Texts:
    """Read and check the file; a missing key or language is refused at start-up, not mid-call."""
    path = path or Path(str(resources.files("bonemet.kb") / "data" / "cds_texts.yaml"))
    try:
        # The flare window is said by placeholder, filled from the knowledge base (kb/templates.py).
        raw = templates.fill(strict_yaml.load_path(path), templates.values_of(default_kb()))
        parsed = _Texts.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError([f"{path.name}: {exc}"]) from None
    except ValidationError as exc:
        raise KnowledgeBaseError(
            [f"{path.name}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from None
    missing = [k for k in REQUIRED if k not in parsed.texts]
    if missing:
        raise KnowledgeBaseError([f"{path.name}: missing text {k!r}" for k in missing])
    return Texts(parsed.texts)


@lru_cache(maxsize=1)
def default_texts() -> Texts:
    return load_texts()


@lru_cache(maxsize=256)
def negotiate(accept_language: str | None, default: Lang) -> Lang:
    """The first of en/fr the client ranks highest in Accept-Language, else the configured default."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("en", "fr") and q > 0:
            ranked.append((-q, index, primary))
    if not ranked:
        return default
    return "fr" if min(ranked)[2] == "fr" else "en"
