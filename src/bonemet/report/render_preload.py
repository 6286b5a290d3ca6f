"""Imported by the drawing processes' fork server only (its `preload`): warms it up, so that every
drawing forked from it starts with fonts, templates and the knowledge base loaded."""

from bonemet.report.render_job import warm_up

warm_up()
