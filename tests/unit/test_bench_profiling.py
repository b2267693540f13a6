"""The bench's profile summary: which of our functions the samples were spent under."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.profiling import top_functions

LOOP = "_run_once (/usr/lib/python3.11/asyncio/base_events.py:1922)"
APPLY = "apply (streams/redis/contexts.py:{})"
FOLD = "fold (models/context/folding.py:40)"
# Another package's "models" is not ours.
FAUST = "Model._maybe_namespace (faust/models/base.py:1)"
SELECT = "select (/usr/lib/python3.11/selectors.py:468)"
STACKS = "\n".join(
    [
        f"{LOOP};{APPLY.format(99)};{FOLD};{FAUST} 6",
        f"{LOOP};{APPLY.format(120)} 3",
        f"{LOOP};{SELECT} 1",
    ]
)


def test_inclusive_and_innermost_shares_of_our_functions(tmp_path: Path) -> None:
    path = tmp_path / "batch_1.txt"
    path.write_text(STACKS)

    rows = {name: (on_stack, own) for name, on_stack, own in top_functions(path)}

    # Lines of one function are one row; asyncio, selectors and faust are not ours.
    assert rows == {
        "apply (streams/redis/contexts.py)": (pytest.approx(90.0), pytest.approx(30.0)),
        "fold (models/context/folding.py)": (pytest.approx(60.0), pytest.approx(60.0)),
    }


def test_a_recursive_function_counts_once_per_sample(tmp_path: Path) -> None:
    path = tmp_path / "recursive.txt"
    path.write_text("walk (models/a.py:1);walk (models/a.py:2) 4\n")

    assert top_functions(path) == [("walk (models/a.py)", 100.0, 100.0)]


def test_an_empty_profile_names_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("")

    assert top_functions(path) == []
