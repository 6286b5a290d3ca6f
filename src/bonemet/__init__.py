"""bonemet: decision support for bone metastases of lung cancer (not a medical device).

The public API is small: load a case, assess it against the knowledge base. Every refusal is a
`bonemet.BonemetError` carrying its `problems` (the tree is drawn in `bonemet.errors`).

>>> import bonemet
>>> case = bonemet.load_case("examples/01-staging-no-pet.yaml")   # doctest: +SKIP
>>> bonemet.assess(case).rule_ids()                               # doctest: +SKIP
"""

from __future__ import annotations

from bonemet._version import __version__
from bonemet.api import assess, load_case, parse_case
from bonemet.errors import (
    AuditInputError,
    BackupError,
    BonemetError,
    CalculationError,
    ConfigurationError,
    FhirMappingError,
    IndicatorDefsError,
    InputError,
    KnowledgeBaseError,
    LabelsError,
    OptionError,
    PerformanceTableError,
    Problem,
    ScoreInputError,
    ServeError,
    SettingsError,
    ValueSetError,
)
from bonemet.kb import KnowledgeBase, default_kb, load_kb
from bonemet.model import Assessment, Case

__all__ = [
    "Assessment",
    "AuditInputError",
    "BackupError",
    "BonemetError",
    "CalculationError",
    "Case",
    "ConfigurationError",
    "FhirMappingError",
    "IndicatorDefsError",
    "InputError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "LabelsError",
    "OptionError",
    "PerformanceTableError",
    "Problem",
    "ScoreInputError",
    "ServeError",
    "SettingsError",
    "ValueSetError",
    "__version__",
    "assess",
    "default_kb",
    "load_case",
    "load_kb",
    "parse_case",
]
