"""The next-best-offer engine's pure core: rules, candidates, arbitration, pressure, triggers."""
