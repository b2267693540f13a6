"""Where the cores went: CPU seconds of each process of the stack over a measured span.

Read from /proc (utime + stime of the process and its reaped children), so the
figure is the same whichever profiler is at hand: on a 2-core machine the
broker, Redis and the workers share two cores, and this says how.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

# Which process is which, by a part of its command line.
ROLES = {
    "broker": ("kafka.Kafka", "tansu"),
    "redis": ("redis-server",),
    "worker": ("streams.worker",),
    "api_server": ("streams.api_server",),
    "generator": ("streams.local.generator",),
    "api_load": ("tests.bench.api_load",),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its reaped children (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _roles() -> dict[int, str]:
    found: dict[int, str] = {os.getpid(): "bench"}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        for role, needles in ROLES.items():
            if any(needle in command for needle in needles):
                found[int(entry.name)] = role
    return found


class CpuShares:
    """Cores used by each role between construction and :meth:`cores`."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self._roles = _roles()
        self._cpu = {pid: cpu_seconds(pid) for pid in self._roles}

    def cores(self) -> dict[str, float]:
        elapsed = time.monotonic() - self._started
        used: dict[str, float] = {}
        for pid, role in self._roles.items():
            used[role] = used.get(role, 0.0) + cpu_seconds(pid) - self._cpu[pid]
        shares = {role: round(cpu / elapsed, 2) for role, cpu in sorted(used.items())}
        return shares | {"machine_cores": float(os.cpu_count() or 0)}
