"""The command line is one package, one module per command group, each naming the Python function it
mirrors (sqlite-utils style: the CLI adds no logic of its own)."""

from __future__ import annotations

import importlib
import re

import pytest
import typer.main

from bonemet.cli import app

GROUPS = ["assess", "plan", "kb", "score", "probability", "report", "fhir", "audit", "serve", "store"]


@pytest.mark.parametrize("group", GROUPS)
def test_each_command_module_names_the_python_functions_it_mirrors(group: str) -> None:
    module = importlib.import_module(f"bonemet.cli.{group}")
    doc = module.__doc__ or ""
    assert "In Python:" in doc, f"bonemet.cli.{group} does not say which function it mirrors"
    named = re.findall(r"`(bonemet(?:\.\w+)+)", doc.split("In Python:", 1)[1])
    assert named
    for dotted in named:
        path, _, attr = dotted.rpartition(".")
        try:
            target = importlib.import_module(dotted)
        except ModuleNotFoundError:
            target = getattr(importlib.import_module(path), attr)
        assert target is not None


def test_every_command_is_registered_and_has_help() -> None:
    group = typer.main.get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    assert names == {"kb", "score", "probability", "fhir", "synth", "audit", "assess", "plan", "demo",
                     "timeline", "report", "schema", "serve", "backup", "restore"}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, f"bonemet {name} has no help"
