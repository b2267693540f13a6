"""faust's app and aiokafka transport: a configurable fetch wait, an idempotent
producer, a start without a wait for tables, and a stop hook.

faust hard-codes ``fetch_max_wait_ms=1500`` for worker consumers. Brokers that
answer a fetch only when its wait expires (Tansu, here) then add 1.5 s to every
hop; on Apache Kafka it only bounds idle polling. We build faust's consumer as
usual and change that one value before it starts.

faust makes its producer idempotent only inside transactions (exactly-once). At
least once, a send whose acknowledgement was lost with the connection is retried
and written twice; with ``idempotent_producer`` the broker recognises the retry
by its producer id and sequence and keeps one copy. Tansu has no InitProducerId,
so it stays off there.

faust's table manager sleeps a second before it subscribes, for tables declared
late to register. This app declares none, so it subscribes at once: a worker is
ready a second sooner (every start and restart, and every test worker).

When the app stops, faust first waits for every batch an agent holds to be
acknowledged. A batch retrying while Redis or Kafka is down would keep it
waiting (past compose's stop grace), so ``on_stopping`` callbacks run before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import aiokafka
import faust
from faust.tables import TableManager
from faust.transport.drivers import aiokafka as faust_aiokafka


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        if not hasattr(consumer, "_fetch_max_wait_ms"):
            raise RuntimeError(
                "aiokafka no longer exposes _fetch_max_wait_ms; update streams/kafka/transport.py"
            )
        consumer._fetch_max_wait_ms = self.app.fetch_max_wait_ms  # type: ignore[attr-defined]
        consumer._fetch_min_bytes = self.app.fetch_min_bytes  # type: ignore[attr-defined]
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Producer(faust_aiokafka.Producer):
    def _settings_extra(self) -> Mapping[str, Any]:
        if getattr(self.app, "idempotent_producer", False):
            return {**super()._settings_extra(), "acks": "all", "enable_idempotence": True}
        return super()._settings_extra()


class FetchWaitTransport(faust_aiokafka.Transport):
    Consumer = _Consumer
    Producer = _Producer


class _TablelessManager(TableManager):
    async def on_start(self) -> None:
        if self.values():  # someone declared a table after all: faust's own wait
            await super().on_start()
            return
        await self._update_channels()
        await self.recovery.start()


class App(faust.App):
    """A faust app whose consumers use ``fetch_max_wait_ms`` instead of faust's 1500 ms,
    and whose producer is idempotent when ``idempotent_producer`` says so."""

    def __init__(
        self,
        *args: Any,
        fetch_max_wait_ms: int = 500,
        fetch_min_bytes: int = 1,
        idempotent_producer: bool = False,
        **kwargs: Any,
    ) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.fetch_min_bytes = fetch_min_bytes
        self.idempotent_producer = idempotent_producer
        self.on_stopping: list[Callable[[], None]] = []
        kwargs.setdefault("TableManager", _TablelessManager)
        super().__init__(*args, **kwargs)

    async def on_stop(self) -> None:
        for callback in self.on_stopping:
            callback()
        await super().on_stop()

    def _new_transport(self) -> FetchWaitTransport:
        return FetchWaitTransport(self.conf.broker_consumer, self)
