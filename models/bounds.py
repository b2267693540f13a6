"""The bounds of what one event may carry, so whatever is folded from it can be stored.

A context is encoded with orjson, which refuses integers beyond 64 bits, and read
by clients that hold numbers as doubles. Every number and text the parser reads
is therefore bounded here, with room to spare, and the fold saturates the sums it
keeps (:data:`models.context.limits.COUNT_MAX`), so no sequence of valid events
can make a context that cannot be written or read back, or one that grows without
bound. The parser rejects what is outside these bounds: a number with the reason
``out_of_range``, an id with ``invalid_id``, a text or a list with ``too_large``.
(The size of a whole event, ``MAX_EVENT_BYTES``, is a setting: see
:class:`models.parsing.EventParser`.)
"""

from __future__ import annotations

# Money (price, order total), in currency units. Ten billion covers an order in the
# weakest currency, and its cents (10^12) stay exact in a double.
MAX_AMOUNT = 10_000_000_000
# Units of one product line (quantity), and units on hand at a store (stock).
MAX_QUANTITY = 1_000_000
MAX_STOCK_UNITS = 1_000_000_000

# Ids: messageId, userId, anonymousId, product_id, order_id, store_id. All but the
# messageId also keep to the id alphabet (:func:`models.json_fields.checked_id`).
MAX_ID_CHARS = 128
# Categories are keys (of affinity, trends, the cross-sell map): as short as ids.
MAX_CATEGORY_CHARS = 128
# Other texts the parser reads: product name and brand, currency, search query.
MAX_TEXT_CHARS = 256
# Product lines of one event: an order remembers its product ids and categories,
# and a context remembers its recent orders.
MAX_PRODUCTS = 100
