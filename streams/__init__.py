"""I/O wiring: faust agents, Redis store, Kafka topics, embedded services, CLIs."""
