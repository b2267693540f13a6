"""Redis with an ACL user and over TLS (rediss://): the engine works, strangers do not."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from redis.exceptions import AuthenticationError, ConnectionError

from models.identity import Identity
from streams.local.services import EmbeddedService, ServiceStartError, start_redis
from streams.redis.client import redis_client
from tests.brokers import under_ci
from tests.integration.in_process import InProcessPipeline, event, run_in_process
from tests.integration.tls import Certificates, make_certificates

pytestmark = pytest.mark.integration

USER, PASSWORD = "omni-engine", "redis-acl-s3cret"
# The engine's user may run what it needs on every key; the default user is off.
ACL = ["--user", "default", "off", "--user", USER, "on", f">{PASSWORD}", "~*", "&*", "+@all"]


@pytest.fixture(scope="module")
def certificates(log_dir: Path) -> Certificates:
    return make_certificates(log_dir / "redis-tls")


@pytest.fixture(scope="module")
def acl_redis(log_dir: Path) -> Iterator[EmbeddedService]:
    service = start_redis(_dir(log_dir, "redis-acl"), options=ACL)
    yield service
    service.stop()


@pytest.fixture(scope="module")
def tls_redis(log_dir: Path, certificates: Certificates) -> Iterator[EmbeddedService]:
    key, chain = (
        certificates.keystore.with_name("server.key"),
        certificates.keystore.with_name("server.pem"),
    )
    tls = ["--tls-cert-file", str(chain), "--tls-key-file", str(key)]
    tls += ["--tls-ca-cert-file", str(certificates.ca), "--tls-auth-clients", "no"]
    try:
        service = start_redis(_dir(log_dir, "redis-tls"), options=[*ACL, *tls], tls=True)
    except ServiceStartError as exc:
        if under_ci():
            raise
        pytest.skip(f"this redis-server has no TLS (Debian's redis-server has): {exc}")
    yield service
    service.stop()


def _dir(log_dir: Path, name: str) -> Path:
    directory = log_dir / name
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _folds_an_event(url: str) -> None:
    user = f"acl-{datetime.now(UTC).timestamp():.0f}"
    seen: list[object] = []

    async def scenario(pipeline: InProcessPipeline) -> None:
        await pipeline.process([event(None, datetime.now(UTC), user=user, call="page")])
        assert pipeline.deadletters == []
        seen.append(await pipeline.store.get(Identity.user(user)))

    run_in_process(url, scenario, wall_ms=int(datetime.now(UTC).timestamp() * 1000))
    (context,) = seen
    assert context is not None and context.events_total == 1  # type: ignore[attr-defined]


def _ping(url: str) -> None:
    async def ping() -> None:
        client = redis_client(url)
        try:
            await client.ping()
        finally:
            await client.aclose()

    asyncio.run(ping())


def test_the_engine_runs_as_an_acl_user(acl_redis: EmbeddedService) -> None:
    _folds_an_event(f"redis://{USER}:{quote(PASSWORD)}@127.0.0.1:{acl_redis.port}/0")


def test_a_wrong_password_or_no_user_is_refused(acl_redis: EmbeddedService) -> None:
    with pytest.raises(AuthenticationError):
        _ping(f"redis://{USER}:wrong@127.0.0.1:{acl_redis.port}/0")
    with pytest.raises(AuthenticationError):
        _ping(f"redis://127.0.0.1:{acl_redis.port}/0")


def test_the_engine_runs_over_tls(tls_redis: EmbeddedService, certificates: Certificates) -> None:
    ca = quote(str(certificates.ca))
    _folds_an_event(
        f"rediss://{USER}:{quote(PASSWORD)}@127.0.0.1:{tls_redis.port}/0?ssl_ca_certs={ca}"
    )


def test_tls_refuses_a_server_signed_by_another_ca(
    tls_redis: EmbeddedService, log_dir: Path
) -> None:
    stranger = quote(str(make_certificates(log_dir / "redis-other-ca").ca))
    with pytest.raises(ConnectionError):
        _ping(
            f"rediss://{USER}:{quote(PASSWORD)}@127.0.0.1:{tls_redis.port}/0?ssl_ca_certs={stranger}"
        )
