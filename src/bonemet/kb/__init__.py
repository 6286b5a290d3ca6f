"""The guideline as versioned data: statements, rules and references, validated at load time."""

from bonemet.base.text import LANGS, Lang, Text
from bonemet.errors import KnowledgeBaseError
from bonemet.kb.loader import KnowledgeBase, default_kb, load_kb
from bonemet.kb.models import Reference, Rule, Statement

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
