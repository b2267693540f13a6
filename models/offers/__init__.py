"""The next-best-offer engine's pure core.

:mod:`.decisions` is what the wiring layer calls; it dispatches to one module
per trigger type in :mod:`.kinds`. Around them: :mod:`.decision` (the shared
values), :mod:`.rules` and :mod:`.rules_file` (the marketer's rules),
:mod:`.arbitration`, :mod:`.channels` (consent, quiet hours), :mod:`.pressure`
(caps and cooldowns), :mod:`.triggers` (the output documents) and
:mod:`.best_offer` (the API's "best offer now").
"""
