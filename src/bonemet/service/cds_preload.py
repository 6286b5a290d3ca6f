"""Imported by the job processes' fork server only (its `preload`): warms it up for CDS calls, so
that a large call forked from it starts with the knowledge base, texts and value sets loaded."""

from bonemet.service.cds_process import warm_up

warm_up()
