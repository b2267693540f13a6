"""What ``make bench`` measured: one JSON summary, printed as a table too.

Every figure goes into :class:`Results` under a dotted name as it is measured; at
the end the table is printed and the JSON written (``.run/bench/summary.json``),
with the machine and the broker it ran on.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

import orjson


def percentiles_ms(samples_s: list[float], points: tuple[str, ...] = ("p50", "p99")) -> dict:
    """Percentiles (nearest rank) and the max of samples in seconds, in milliseconds."""
    if not samples_s:
        return {point: None for point in (*points, "max")} | {"samples": 0}
    ordered = sorted(samples_s)

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    figures: dict[str, Any] = {point: rank(int(point[1:]) / 100) for point in points}
    return figures | {"max": round(ordered[-1] * 1000, 1), "samples": len(ordered)}


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory_kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 2**20, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


class Results:
    def __init__(self) -> None:
        self.figures: dict[str, Any] = {}
        self.notes: dict[str, str] = {}

    def put(self, name: str, value: Any, note: str = "") -> None:
        self.figures[name] = value
        if note:
            self.notes[name] = note
        print(f"  {name:<34} {_shown(value)}{f'   ({note})' if note else ''}", flush=True)

    def get(self, name: str) -> Any:
        return self.figures.get(name)

    def get_required(self, name: str) -> Any:
        """The figure, or KeyError naming it when it was not measured (or had no samples)."""
        value = self.figures.get(name)
        if value is None or (isinstance(value, dict) and None in value.values()):
            raise KeyError(name)
        return value

    def summary(self) -> dict[str, Any]:
        nested: dict[str, Any] = {}
        for name, value in self.figures.items():
            *parents, leaf = name.split(".")
            node = nested
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = value
        return nested

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(self.summary(), option=orjson.OPT_INDENT_2))

    def table(self) -> str:
        width = max((len(name) for name in self.figures), default=10)
        lines = [f"{'figure':<{width}}  value", f"{'-' * width}  {'-' * 40}"]
        lines += [f"{name:<{width}}  {_shown(value)}" for name, value in self.figures.items()]
        return "\n".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "  ".join(f"{k} {_shown(v)}" for k, v in value.items())
    if isinstance(value, float):
        if abs(value) < 10:
            return f"{value:.2f}"
        return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
