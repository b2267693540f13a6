"""What the API answers: JSON bodies, and errors as ``{"error": {"code", "message"}}``.

Error codes are stable (clients switch on them); messages are for people and never
carry a stack trace, a customer id or a token.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

JSON = "application/json"


class ApiError(Exception):
    """A request the API refuses, with the status and code the client receives."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


INTERNAL_ERROR = ApiError(500, "internal_error", "the request could not be served")


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(body=orjson.dumps(body), content_type=JSON, status=status, headers=headers)


def error_response(error: ApiError) -> web.Response:
    body = {"error": {"code": error.code, "message": error.message}}
    return json_response(body, error.status, error.headers)
