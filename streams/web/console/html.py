"""A tiny HTML builder: every value is escaped unless it is already :class:`Safe` HTML.

Templates are ``str.format`` strings written here, in the console's modules; values
(ids, product names, reason texts, rules, anything from input) are passed as arguments
and escaped with :func:`html.escape`, quotes included, so a ``<script>`` in a product
id is shown, never run.
"""

from __future__ import annotations

import html as _html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from streams.web.console.style import CSS


class Safe(str):
    """Text that is already HTML: built by :func:`render` from escaped values."""

    __slots__ = ()


def esc(value: object) -> Safe:
    """``value`` as HTML text: escaped, unless it is :class:`Safe`; None shows as a dash."""
    if isinstance(value, Safe):
        return value
    if value is None:
        return Safe("—")
    if isinstance(value, bool):
        return Safe("yes" if value else "no")
    if isinstance(value, float) and math.isfinite(value):
        value = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return Safe(_html.escape(str(value), quote=True))


def render(template: str, *args: object, **kwargs: object) -> Safe:
    """``template.format`` with every argument escaped."""
    return Safe(template.format(*(esc(a) for a in args), **{k: esc(v) for k, v in kwargs.items()}))


def join(parts: Iterable[object], separator: str = "") -> Safe:
    return Safe(separator.join(esc(part) for part in parts))


def table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    empty: str = "None.",
    row_headers: bool = True,
) -> Safe:
    """A semantic table: a caption, column headers with ``scope="col"`` and, when
    ``row_headers``, each row's first cell as its header with ``scope="row"``."""
    body = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            if index == 0 and row_headers:
                cells.append(render('<th scope="row">{}</th>', cell))
            else:
                cells.append(render("<td>{}</td>", cell))
        body.append(render("<tr>{}</tr>", join(cells)))
    if not body:
        return render('<p class="empty"><strong>{}:</strong> {}</p>', caption, empty)
    head = join(render('<th scope="col">{}</th>', h) for h in headers)
    return render(
        "<table><caption>{}</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        caption,
        head,
        join(body),
    )


def facts(pairs: Mapping[str, object]) -> Safe:
    """A description list of label -> value."""
    items = join(render("<div><dt>{}</dt><dd>{}</dd></div>", k, v) for k, v in pairs.items())
    return render('<dl class="facts">{}</dl>', items)


def when(epoch_ms: int | None, now_ms: int) -> Safe:
    """A moment in UTC with how long ago (or ahead) it is."""
    if epoch_ms is None:
        return esc(None)
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return render(
        '<time datetime="{}">{}</time> <small>({})</small>',
        moment,
        moment,
        relative(epoch_ms - now_ms),
    )


def relative(delta_ms: int) -> str:
    seconds = abs(delta_ms) / 1000
    for unit, size in (("d", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = f"{seconds / size:.0f} {unit}"
            break
    else:
        amount = f"{seconds:.0f} s"
    return f"in {amount}" if delta_ms > 0 else f"{amount} ago"


def iso_ms(value: str | None) -> int | None:
    """Epoch ms of an ISO-8601 time as the context document writes them."""
    if not value:
        return None
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def hidden_csrf(csrf: str) -> Safe:
    return render('<input type="hidden" name="csrf" value="{}">', csrf)


NAV = (("/console/find", "Find a customer"), ("/console/rules", "Rules"), ("/console/live", "Live"))


def page(
    title: str,
    body: Safe,
    *,
    csrf: str | None = None,
    current: str = "",
    subnav: Safe | None = None,
) -> Safe:
    """A whole document: skip link, the console's navigation (when logged in), ``body``."""
    header = Safe("")
    if csrf is not None:
        links = join(
            render(
                '<li><a href="{}"{}>{}</a></li>',
                href,
                Safe(' aria-current="page"') if href == current else Safe(""),
                label,
            )
            for href, label in NAV
        )
        logout = render(
            '<form method="post" action="/console/logout" class="logout">{}'
            '<button type="submit">Log out</button></form>',
            hidden_csrf(csrf),
        )
        header = render(
            '<header><nav aria-label="Console"><span class="brand">Omnichannel console</span>'
            "<ul>{}</ul>{}</nav></header>",
            links,
            logout,
        )
    return render(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{} · Omnichannel console</title><style>{}</style></head><body>"
        '<a class="skip" href="#main">Skip to content</a>{}'
        '<main id="main" tabindex="-1"><h1>{}</h1>{}{}</main></body></html>',
        title,
        Safe(CSS),
        header,
        title,
        subnav or Safe(""),
        body,
    )
