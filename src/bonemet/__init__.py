"""bonemet: decision support for bone metastases of lung cancer (not a medical device).

The public API is small: load a case, assess it against the knowledge base.

>>> import bonemet
>>> case = bonemet.load_case("examples/01-staging-no-pet.yaml")   # doctest: +SKIP
>>> bonemet.assess(case).rule_ids()                               # doctest: +SKIP
"""

from __future__ import annotations

from bonemet._version import __version__
from bonemet.api import assess, load_case, parse_case
from bonemet.kb import KnowledgeBase, default_kb, load_kb
from bonemet.model import Assessment, Case

__all__ = [
    "Assessment",
    "Case",
    "KnowledgeBase",
    "__version__",
    "assess",
    "default_kb",
    "load_case",
    "load_kb",
    "parse_case",
]
