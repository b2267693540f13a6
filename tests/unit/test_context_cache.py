"""The decoded-context cache: bytes in, the context they decode to, never a stale one."""

from __future__ import annotations

from models.context import CustomerContext
from streams.redis.context_cache import DecodedContexts
from streams.redis.contexts import RedisContextStore
from streams.redis.erasures import ErasureMemory
from streams.redis.gateway import RedisGateway


def _stored(user: str, events_total: int = 1) -> tuple[bytes, CustomerContext]:
    context = CustomerContext(user_id=user, events_total=events_total)
    return context.to_stored(), context


def test_a_remembered_document_is_not_decoded_again() -> None:
    cache = DecodedContexts(10)
    doc, context = _stored("u-1")
    cache.remember(doc, context)
    assert cache.decode(doc) is context
    assert (cache.hits, cache.misses) == (1, 0)


def test_a_new_document_is_decoded_then_kept() -> None:
    cache = DecodedContexts(10)
    doc, context = _stored("u-1")
    first = cache.decode(doc)
    assert first == context
    assert cache.decode(doc) is first
    assert (cache.hits, cache.misses) == (1, 1)


def test_other_bytes_of_the_same_person_are_decoded_afresh() -> None:
    """A write by another worker changes the bytes: the old context is not served."""
    cache = DecodedContexts(10)
    old_doc, old = _stored("u-1", events_total=1)
    new_doc, _new = _stored("u-1", events_total=2)
    cache.remember(old_doc, old)
    assert cache.decode(new_doc).events_total == 2
    assert cache.misses == 1


def test_the_least_recently_used_goes_first() -> None:
    cache = DecodedContexts(2)
    docs = [_stored(f"u-{i}")[0] for i in range(3)]
    cache.decode(docs[0])
    cache.decode(docs[1])
    cache.decode(docs[0])  # used again: docs[1] is now the oldest
    cache.decode(docs[2])
    assert len(cache) == 2
    cache.decode(docs[0])
    assert cache.hits == 2
    cache.decode(docs[1])
    assert cache.misses == 4


def test_capacity_zero_keeps_nothing() -> None:
    cache = DecodedContexts(0)
    doc, context = _stored("u-1")
    cache.remember(doc, context)
    assert cache.decode(doc) == context
    assert cache.decode(doc) == context
    assert (len(cache), cache.hits, cache.misses) == (0, 0, 2)


def test_the_store_keeps_the_cache_it_is_given_even_while_empty() -> None:
    # An empty cache has a length of 0: a store that took ``decoded or ...`` dropped it
    # for one of its own and never remembered a context.
    cache = DecodedContexts(10)
    store = RedisContextStore(
        RedisGateway(redis=None),  # type: ignore[arg-type]  # nothing is sent
        dedupe_ttl_s=60,
        dedupe_max_ids=10,
        erasures=ErasureMemory("salt", 60),
        decoded=cache,
    )
    assert store.decoded is cache
