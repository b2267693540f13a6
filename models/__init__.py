"""Domain models and the pure decision core: no Kafka, Redis or asyncio here."""
