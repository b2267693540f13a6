"""The local Apache Kafka node's cluster ids: what ``kafka-storage format -t`` accepts."""

from __future__ import annotations

import base64
import uuid
from unittest import mock

from streams.local import kafka


def test_a_cluster_id_never_starts_with_a_dash_the_storage_tool_would_read_as_an_option() -> None:
    # uuid4 values whose base64 starts with "-" (0xf8..0xfb as the first byte) come first.
    dashed = uuid.UUID(bytes=b"\xf9" + bytes(15))
    plain = uuid.UUID(bytes=b"\x10" + bytes(15))
    assert base64.urlsafe_b64encode(dashed.bytes).startswith(b"-")
    with mock.patch.object(kafka.uuid, "uuid4", side_effect=[dashed, dashed, plain]):
        cluster_id = kafka._cluster_id()
    assert cluster_id == base64.urlsafe_b64encode(plain.bytes).decode().rstrip("=")
    assert len(cluster_id) == 22


def test_cluster_ids_are_random() -> None:
    assert len({kafka._cluster_id() for _ in range(100)}) == 100
