"""A Redis server a test owns: on a port of its choosing, killed and restarted at will.

Fault tests stop Redis under a running worker and start it again on the same
port, with its data directory kept: with ``appendonly`` (``appendfsync always``)
every acknowledged write survives a SIGKILL.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from streams.local.services import free_port, redis_binary, stop_process, wait_for_port


@dataclass
class RedisServer:
    directory: Path
    appendonly: bool = False
    debug: bool = False  # DEBUG SLEEP and the like, from this machine (Redis >= 7 asks)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 20.0) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [redis_binary(), "--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--dir", str(self.directory), "--save", ""]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        if self.debug:
            args += ["--enable-debug-command", "local"]
        self.starts += 1
        log = (self.directory / f"redis-{self.starts}.log").open("wb")
        with log:
            self.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_for_port("127.0.0.1", self.port, timeout_s, self.process)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye to clients."""
        if self.process is not None:
            stop_process(self.process, grace_s=0.0)

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(Exception):
                stop_process(self.process, grace_s=3.0)
