"""``make run``: the whole pipeline on one machine, with demo traffic and a live summary.

With no ``KAFKA_BROKER`` / ``REDIS_URL`` in the environment it starts an embedded
broker (Tansu) and Redis on free loopback ports. Then it creates the topics,
starts a worker and the demo generator, and prints what flows through the
worker's own Prometheus metrics. Ctrl-C stops every process it started.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from types import FrameType

from prometheus_client.parser import text_string_to_metric_families

from config import Settings
from config.redaction import redact_url, redact_url_list
from streams.kafka.topics import ensure_topics
from streams.local.services import (
    TANSU_WORKER_ENV,
    EmbeddedStack,
    ServiceStartError,
    free_port,
    stop_process,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            args,
            env=env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def services_line(settings: Settings) -> str:
    """Where the run's broker and Redis are, passwords masked: the line lands in terminals."""
    broker, redis_url = redact_url_list(settings.kafka_broker), redact_url(settings.redis_url)
    return f"broker {broker}   redis {redis_url}"


def _scrape(url: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    with urllib.request.urlopen(url, timeout=2) as response:
        text = response.read().decode()
    families: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            families[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
    return families


def _by_label(samples: dict[tuple[tuple[str, str], ...], float], label: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for labels, value in samples.items():
        totals[dict(labels).get(label, "")] += value
    return dict(totals)


def _summary(metrics: dict[str, dict[tuple[tuple[str, str], ...], float]], rate: float) -> str:
    def total(name: str) -> int:
        return int(sum(metrics.get(name, {}).values()))

    lines = [
        f"records in {total('omni_records_consumed_total'):>9,}   ({rate:,.0f}/s)",
        f"events ok  {total('omni_events_consumed_total'):>9,}   "
        f"context updates {total('omni_events_applied_total'):,}   "
        f"duplicates {total('omni_events_duplicate_total'):,}   "
        f"personless {total('omni_events_personless_total'):,}",
    ]
    by_type = _by_label(metrics.get("omni_events_consumed_total", {}), "type")
    for kind, count in sorted(by_type.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {kind:<20} {int(count):>9,}")
    dead = _by_label(metrics.get("omni_deadletters_total", {}), "reason")
    lines.append(
        f"dead-letters {int(sum(dead.values())):>7,}   "
        + "  ".join(f"{reason}={int(count)}" for reason, count in sorted(dead.items()))
    )
    sent = _by_label(metrics.get("omni_triggers_emitted_total", {}), "type")
    lines.append(
        f"triggers out {int(sum(sent.values())):>7,}   "
        + "  ".join(f"{kind}={int(count)}" for kind, count in sorted(sent.items()))
    )
    held = _by_label(metrics.get("omni_triggers_suppressed_total", {}), "reason")
    lines.append(
        f"suppressed   {int(sum(held.values())):>7,}   "
        + "  ".join(f"{reason}={int(count)}" for reason, count in sorted(held.items()))
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams.local.runner", description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="demo records per second")
    parser.add_argument("--customers", type=int, default=200, help="customers per demo round")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-demo", action="store_true", help="run without demo traffic")
    parser.add_argument("--run-dir", type=Path, default=REPO_ROOT / ".run", help="logs go here")
    args = parser.parse_args(argv)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)

    args.run_dir.mkdir(parents=True, exist_ok=True)
    stack: EmbeddedStack | None = None
    children: list[subprocess.Popen[bytes]] = []
    try:
        env = dict(os.environ)
        if not (env.get("KAFKA_BROKER") and env.get("REDIS_URL")):
            print("starting embedded broker (Tansu) and Redis ...", flush=True)
            stack = EmbeddedStack(args.run_dir / "services").start()
            env |= {"KAFKA_BROKER": stack.kafka_broker, "REDIS_URL": stack.redis_url}
            env = TANSU_WORKER_ENV | env  # what you set wins
        env.setdefault("WEB_PORT", str(free_port()))
        generated_token = "API_TOKEN" not in env
        if generated_token:  # a throwaway token for this demo; a token you set is never shown
            env["API_TOKEN"] = secrets.token_urlsafe(16)
        # The embedded broker and Redis keep nothing after the run, so neither does the salt.
        env.setdefault("ERASURE_SALT", secrets.token_urlsafe(32))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        settings = Settings.from_env(env)
        print(services_line(settings), flush=True)
        created = ensure_topics(settings)
        print(f"topics ready ({len(created)} created, {settings.topic_partitions} partitions)")

        children.append(
            _spawn([sys.executable, "-m", "streams.worker"], env, args.run_dir / "worker.log")
        )
        if not args.no_demo:
            children.append(
                _spawn(
                    [
                        sys.executable,
                        "-m",
                        "streams.local.generator",
                        "--loop",
                        "--quiet",
                        "--rate",
                        str(args.rate),
                        "--customers",
                        str(args.customers),
                        "--seed",
                        str(args.seed),
                        "--bootstrap",
                        settings.kafka_bootstrap[0],
                    ],
                    env,
                    args.run_dir / "generator.log",
                )
            )
        base = f"http://127.0.0.1:{settings.web_port}"
        metrics_url = f"{base}/metrics"
        token = env["API_TOKEN"] if generated_token else "$API_TOKEN"
        print(f"API {base} (Authorization: Bearer {token}); metrics {metrics_url}")
        print(f"console {base}/console/ (log in with the API token)")
        print(f"logs in {args.run_dir}; Ctrl-C stops everything\n")
        _watch(children, metrics_url)
    except _Stop:
        print("\nstopping ...", flush=True)
    except ServiceStartError as exc:
        print(f"could not start embedded services: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for child in reversed(children):
            stop_process(child, grace_s=10.0)
        if stack is not None:
            stack.stop()
    print("all processes stopped")
    return 0


def _watch(children: list[subprocess.Popen[bytes]], metrics_url: str) -> None:
    interactive = sys.stdout.isatty()
    previous: tuple[float, int] | None = None
    drawn_lines = 0
    while True:
        for child in children:
            if child.poll() is not None:
                raise SystemExit(f"a child process exited ({child.args!r}); see the logs")
        try:
            metrics = _scrape(metrics_url)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
            continue
        records = int(sum(metrics.get("omni_records_consumed_total", {}).values()))
        now = time.monotonic()
        rate = 0.0 if previous is None else (records - previous[1]) / max(now - previous[0], 1e-6)
        previous = (now, records)
        text = _summary(metrics, rate)
        if interactive:
            sys.stdout.write(f"\x1b[{drawn_lines}F\x1b[J" if drawn_lines else "")
            drawn_lines = text.count("\n") + 1
            print(text, flush=True)
            time.sleep(1.0)
        else:
            print(text.replace("\n", " | "), flush=True)
            time.sleep(5.0)


if __name__ == "__main__":
    raise SystemExit(main())
