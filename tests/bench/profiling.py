"""``make bench BENCH_ARGS="--profile DIR"``: py-spy samples the worker while it drains.

The hot path is named from samples of the real worker on the real stack, not from a
model of it. py-spy (``pip install py-spy``, or ``PY_SPY`` naming its binary) attaches
to the worker's pid for the span of a drain and writes collapsed stacks
(``DIR/<phase>.txt``, one ``frame;frame;... count`` line per stack: flamegraph.pl or
speedscope read it); the functions with the most samples are printed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

SAMPLES_PER_S = 150
# Frames of these packages are named in the summary; the rest (asyncio, faust, aiokafka,
# redis-py, orjson) show as the callees of ours. py-spy names a file by its path from
# the sys.path entry that holds it (``streams/app.py``, ``faust/models/base.py``).
OURS = ("streams/", "models/", "config/")


def py_spy() -> str:
    """py-spy's binary; the bench asks for it before its first phase, not minutes in."""
    binary = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if binary is None:
        raise SystemExit("--profile needs py-spy: pip install py-spy, or set PY_SPY")
    return binary


class Profiler:
    """py-spy recording one pid into ``path``, from its creation to :meth:`stop`."""

    def __init__(self, pid: int, path: Path) -> None:
        binary = py_spy()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._process = subprocess.Popen(
            [
                binary,
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(SAMPLES_PER_S),
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        """py-spy writes its file on SIGINT."""
        self._process.send_signal(signal.SIGINT)
        _out, err = self._process.communicate(timeout=60)
        if not self.path.exists():
            raise RuntimeError(f"py-spy wrote no profile: {err.decode(errors='replace')}")


def top_functions(path: Path, limit: int = 25) -> list[tuple[str, float, float]]:
    """(function, % of samples with it on the stack, % with it as the innermost of ours)."""
    inclusive: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_name(frame) for frame in stack.split(";")]
        for name in set(frames):
            inclusive[name] += count
        ours = [name for name in frames if _is_ours(name)]
        if ours:
            innermost[ours[-1]] += count
    if not total:
        return []
    ranked = [name for name, _count in inclusive.most_common() if _is_ours(name)][:limit]
    return [(n, 100 * inclusive[n] / total, 100 * innermost[n] / total) for n in ranked]


def report(path: Path) -> str:
    rows = [f"profile {path} (% of samples: on the stack / innermost of ours)"]
    for name, on_stack, own in top_functions(path):
        rows.append(f"  {on_stack:5.1f} {own:5.1f}  {name}")
    return "\n".join(rows)


def _name(frame: str) -> str:
    """``fold (models/context/folding.py:42)`` -> ``fold (models/context/folding.py)``."""
    function, _, where = frame.partition(" (")
    return f"{function} ({where.rsplit(':', 1)[0]})" if where else function


def _is_ours(name: str) -> bool:
    _function, _, where = name.rpartition(" (")
    return where.startswith(OURS)
