"""The stored form of a context: deflated JSON with a format byte; plain JSON still read."""

from __future__ import annotations

import zlib

import orjson
import pytest

from models.context import CustomerContext
from models.context import stored as stored_format
from models.context.stored import DEFLATE_V1, pack, unpack
from streams.redis.keys import dedupe_member
from tests.unit.test_context_support import fold_all, viewed


def test_a_stored_context_is_smaller_and_reads_back_the_same() -> None:
    context = fold_all([viewed(str(n), n, f"p{n % 4}") for n in range(12)])
    stored = context.to_stored()
    assert stored[:1] == DEFLATE_V1
    assert len(stored) < len(context.to_json()) / 2
    assert CustomerContext.from_json(stored) == context
    assert unpack(stored) == context.to_json()


def test_plain_json_as_earlier_versions_stored_it_still_loads() -> None:
    context = fold_all([viewed("1", 0, "p1")])
    assert unpack(context.to_json()) == context.to_json()
    assert CustomerContext.from_json(context.to_json()) == context


def test_a_cut_short_stored_context_is_an_error_not_a_partial_context() -> None:
    stored = pack(fold_all([viewed("1", 0, "p1")]).to_json())
    with pytest.raises((ValueError, orjson.JSONDecodeError)):
        CustomerContext.from_json(stored[: len(stored) // 2])


def test_dedupe_members_are_short_and_stable() -> None:
    member = dedupe_member("5b3c8f2e-0d6a-4e0f-9a51-7c2a1b9d3e44")
    assert len(member) == 11
    assert member == dedupe_member("5b3c8f2e-0d6a-4e0f-9a51-7c2a1b9d3e44")
    assert len({dedupe_member(str(n)) for n in range(100_000)}) == 100_000


def test_each_document_packs_alone_as_a_fresh_compressor_would_pack_it() -> None:
    """The packer is a copy of one primed compressor: nothing of one document may
    carry over into the next one's bytes."""
    documents = [fold_all([viewed(str(n), n, f"p{n}") for n in range(k)]).to_json() for k in (1, 7)]
    for document in [*documents, *reversed(documents)]:
        fresh = zlib.compressobj(
            6, zlib.DEFLATED, -12, 3, zlib.Z_DEFAULT_STRATEGY, stored_format.DICTIONARY_V1
        )
        assert pack(document) == DEFLATE_V1 + fresh.compress(document) + fresh.flush()
        assert unpack(pack(document)) == document
