"""Prometheus and Grafana: the files they mount, what Prometheus scrapes, what Grafana loads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.dashboard_queries import DASHBOARD, dashboard, expressions, walk
from tests.unit.deployment_support import (
    DASHBOARD_PROVIDERS,
    DATASOURCES,
    DEPLOY,
    WEB_PORT,
    bind_mounts,
    environment,
    require_promtool,
    service,
)


def test_monitoring_mounts_files_that_exist_in_the_repository() -> None:
    for name in ("prometheus", "grafana"):
        mounts = bind_mounts(name)
        assert mounts, f"{name} mounts nothing from the repository"
        for target, source in mounts.items():
            assert source.exists(), f"{name}: {target} mounts missing {source}"
            assert DEPLOY.resolve() in source.parents, f"{name} mounts {source} outside deploy/"
    prometheus = bind_mounts("prometheus")
    assert prometheus["/etc/prometheus/prometheus.yml"] == (DEPLOY / "prometheus.yml").resolve()
    grafana = bind_mounts("grafana")
    assert grafana["/etc/grafana/provisioning/datasources"] == DATASOURCES.parent.resolve()
    assert grafana["/etc/grafana/provisioning/dashboards"] == DASHBOARD_PROVIDERS.parent.resolve()
    assert grafana["/var/lib/grafana/dashboards"] == DASHBOARD.parent.resolve()
    assert "${PUBLISH_ADDRESS:-127.0.0.1}:9090:9090" in [
        str(port) for port in service("prometheus")["ports"]
    ]
    assert "${PUBLISH_ADDRESS:-127.0.0.1}:3000:3000" in [
        str(port) for port in service("grafana")["ports"]
    ]


def test_prometheus_scrapes_every_worker_replica_on_the_web_port() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = [job for job in config["scrape_configs"] if "dns_sd_configs" in job]
    assert len(jobs) == 2
    for job, name in zip(jobs, ("worker", "api"), strict=True):
        assert job["scrape_interval"] == "5s"
        assert job.get("metrics_path", "/metrics") == "/metrics"
        (discovery,) = job["dns_sd_configs"]
        assert discovery["names"] == [name]
        assert discovery["type"] == "A"
        assert discovery["port"] == int(environment(name)["WEB_PORT"]) == WEB_PORT


def test_grafana_provisions_the_prometheus_datasource_and_the_dashboards() -> None:
    (datasource,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    (provider,) = yaml.safe_load(DASHBOARD_PROVIDERS.read_text())["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert bind_mounts("grafana")[provider["options"]["path"]] == DASHBOARD.parent.resolve()
    used = {
        value["uid"]
        for key, value in walk(dashboard())
        if key == "datasource" and isinstance(value, dict)
    }
    assert used == {datasource["uid"]}, "panels must name the provisioned datasource by uid"
    home = environment("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert (DASHBOARD.parent / Path(home).name).is_file()


def test_promtool_accepts_the_prometheus_config_and_every_dashboard_query(
    tmp_path: Path,
) -> None:
    require_promtool()
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{n}", "expr": expr}
                    for n, expr in enumerate(expressions())
                ],
            }
        ]
    }
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    for args in (["check", "rules", str(tmp_path / "rules.yml")], ["check", "config"]):
        if args[1] == "config":
            args.append(str(DEPLOY / "prometheus.yml"))
        checked = subprocess.run(
            ["promtool", *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
