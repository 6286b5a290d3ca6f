"""The guideline as versioned data: statements, rules and references, validated at load time."""

from bonemet.kb.loader import KnowledgeBase, KnowledgeBaseError, default_kb, load_kb
from bonemet.kb.models import LANGS, Lang, Reference, Rule, Statement, Text

__all__ = [
    "LANGS",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Lang",
    "Reference",
    "Rule",
    "Statement",
    "Text",
    "default_kb",
    "load_kb",
]
