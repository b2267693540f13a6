import gc
from collections.abc import Iterator

import pytest

from streams.heap_freeze import freeze_startup_heap


@pytest.fixture
def unfrozen_after() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


@pytest.mark.usefixtures("unfrozen_after")
def test_the_heap_at_start_up_is_frozen_and_later_objects_are_not() -> None:
    kept: list[list[str]] = [[]]  # a container of a container: the collector tracks it
    frozen = freeze_startup_heap()
    assert frozen == gc.get_freeze_count() > 0
    assert not any(obj is kept for obj in gc.get_objects())  # frozen objects are not tracked
    later: list[list[str]] = [[]]
    assert any(obj is later for obj in gc.get_objects())
    assert gc.get_freeze_count() == frozen
