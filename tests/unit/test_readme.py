"""The README is the user's manual: its promises must match the code."""

from __future__ import annotations

from pathlib import Path

from config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_configuration_table_lists_every_setting_with_its_default() -> None:
    for variable, default, _doc in Settings.documentation():
        assert f"| `{variable}` | `{default}` |" in README, variable


def test_quickstart_has_the_two_commands() -> None:
    assert "make run" in README
    assert "make test" in README
