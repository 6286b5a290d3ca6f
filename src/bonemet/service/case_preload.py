"""Imported by the job processes' fork server only (its `preload`): warms it up for large case
bodies, so that a job forked from it starts with the knowledge base, texts and value sets loaded."""

from bonemet.service.case_process import warm_up

warm_up()
