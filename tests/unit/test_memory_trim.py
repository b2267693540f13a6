"""malloc_trim: found on glibc (this project's Linux images and CI), and callable."""

from __future__ import annotations

import platform

import pytest

from streams.memory_trim import malloc_trim


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_trims_and_says_whether_memory_was_released() -> None:
    trim = malloc_trim()
    assert trim is not None
    assert trim() in (0, 1)
