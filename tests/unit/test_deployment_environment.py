"""The compose services' environment: only variables the settings read, secrets required."""

from __future__ import annotations

import re

import pytest

from config import Settings
from tests.unit.deployment_support import APP_SERVICES, compose, environment

# ${NAME:?message}: Compose refuses to start when NAME is unset or empty.
REQUIRED_VARIABLE = re.compile(r"^\$\{(?P<name>[A-Z][A-Z0-9_]*):\?[^}]+\}$")
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET")


def known_variables() -> set[str]:
    return {variable for variable, _default, _doc in Settings.documentation()}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_set_only_variables_the_settings_know(name: str) -> None:
    unknown = set(environment(name)) - known_variables()
    assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


def test_secrets_come_from_the_environment_and_are_required() -> None:
    for secret in ("API_TOKEN", "ERASURE_SALT"):
        required = REQUIRED_VARIABLE.match(environment("worker")[secret])
        assert required is not None and required["name"] == secret
    password = REQUIRED_VARIABLE.match(environment("grafana")["GF_SECURITY_ADMIN_PASSWORD"])
    assert password is not None and password["name"] == "GRAFANA_ADMIN_PASSWORD"
    for name in compose()["services"]:
        for variable, value in environment(name).items():
            if SECRET_NAME.search(variable):
                assert REQUIRED_VARIABLE.match(value), f"{name}: {variable} is a literal"
