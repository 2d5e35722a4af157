"""docs/tutorial.md stays true to the code: its commands parse, its figures exist."""

import os
import re
import shlex

import pytest

from w2gm.cli import build_parser

ROOT = os.path.join(os.path.dirname(__file__), "..")
TUTORIAL = os.path.join(ROOT, "docs", "tutorial.md")


def tutorial_text():
    with open(TUTORIAL, encoding="utf-8") as f:
        return f.read()


def tutorial_commands():
    """Every ``w2gm ...`` command line inside the tutorial's code blocks (with or without ``$``)."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", tutorial_text(), flags=re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("#")[0].strip().removeprefix("$ ")
            if line.startswith("w2gm "):
                commands.append(line)
    return commands


def test_the_tutorial_shows_every_sense_command():
    used = {shlex.split(c)[1] for c in tutorial_commands()}
    assert {"train", "senses", "disambiguate", "entail", "plot", "export"} <= used


@pytest.mark.parametrize("command", tutorial_commands())
def test_tutorial_commands_parse(command):
    argv = shlex.split(command)[1:]
    args = build_parser().parse_args(argv)  # argparse exits (SystemExit) on a bad option
    assert args.command == argv[0]


def test_tutorial_figures_are_small_committed_pngs():
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", tutorial_text())
    assert len(figures) >= 2
    for figure in figures:
        path = os.path.join(ROOT, "docs", figure)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", figure
        assert os.path.getsize(path) < 200_000, figure
