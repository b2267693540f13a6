"""Demo traffic: a product catalogue and seeded customer journeys."""
