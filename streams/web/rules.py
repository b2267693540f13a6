"""``/rules``: the offer rules version in effect, and what the live reload last did."""

from __future__ import annotations

from aiohttp import web

from models.context.document import iso
from streams.web.dependencies import API_DEPS
from streams.web.responses import json_response


async def rules(request: web.Request) -> web.Response:
    deps = request.app[API_DEPS]
    live = deps.live_rules
    body: dict[str, object] = {"version": deps.rules.version}
    if live is not None:
        rejection = live.rejection
        body.update(
            {
                "applied_at": iso(live.current.applied_at_ms),
                "reloads": {"applied": live.applied, "rejected": live.rejected},
                # The newest edit on disk, when it failed validation: not in effect.
                "rejected": None
                if rejection is None
                else {
                    "version": rejection.version,
                    "error": rejection.error,
                    "at": iso(rejection.at_ms),
                },
            }
        )
    return json_response(body)
