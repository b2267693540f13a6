"""Plain socket clients (asyncio streams) for the HTTP limit tests: slow, silent or
idle exactly as written, which no HTTP client library lets a test be."""

from __future__ import annotations

import asyncio

Client = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def closed_within(client: Client, timeout_s: float) -> bool:
    """Whether the server closes the connection within ``timeout_s`` (what it sent skipped)."""
    reader, _writer = client
    try:
        async with asyncio.timeout(timeout_s):
            while await reader.read(65536):
                pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True
