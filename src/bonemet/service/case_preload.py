"""Imported by the job processes' fork server only (its `preload`): warms it up for large case
bodies, so that a job forked from it starts with the routes' modules, the knowledge base, texts
and value sets loaded (service/case_process.py)."""

from bonemet.fhir import default_valuesets
from bonemet.kb import default_kb
from bonemet.service import api, cdshooks  # noqa: F401  # the jobs' modules and their models
from bonemet.service.texts import default_texts

default_kb()
default_texts()
default_valuesets()
