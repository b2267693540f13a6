"""The bounds of what one event may carry, so whatever is folded from it can be stored.

A context is encoded with orjson, which refuses integers beyond 64 bits, and read
by clients that hold numbers as doubles. Every number the parser reads is
therefore bounded here, with room to spare, and the fold saturates the sums it
keeps (:data:`models.context.limits.COUNT_MAX`), so no sequence of valid events
can make a context that cannot be written or read back. The parser rejects a
number outside these bounds with the reason ``out_of_range``.
"""

from __future__ import annotations

# Money (price, order total), in currency units. Ten billion covers an order in the
# weakest currency, and its cents (10^12) stay exact in a double.
MAX_AMOUNT = 10_000_000_000
# Units of one product line (quantity), and units on hand at a store (stock).
MAX_QUANTITY = 1_000_000
MAX_STOCK_UNITS = 1_000_000_000
