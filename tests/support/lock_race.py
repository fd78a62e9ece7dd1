"""Run by tests/e2e/test_scale_out.py with the Rasa environment's Python: several processes take
the same conversation's lock through `bot.lock_store.AtomicRedisLockStore` and log when they hold it.

Usage: python lock_race.py PORT CONVERSATION WORKERS ROUNDS OUT_FILE
Each hold appends "start" and "end" lines; overlapping holds would interleave them.
"""

from __future__ import annotations

import asyncio
import sys
from multiprocessing import Process

from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore


async def _hold(port: int, conversation: str, rounds: int, out: str, worker: int) -> None:
    store = AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=port, db=0))
    for round_ in range(rounds):
        async with store.lock(conversation, wait_time_in_seconds=0.01):
            with open(out, "a", encoding="utf-8") as file:
                file.write(f"start {worker}-{round_}\n")
                file.flush()
                await asyncio.sleep(0.005)
                file.write(f"end {worker}-{round_}\n")


def _worker(port: int, conversation: str, rounds: int, out: str, worker: int) -> None:
    asyncio.run(_hold(port, conversation, rounds, out, worker))


if __name__ == "__main__":
    port, conversation, out = int(sys.argv[1]), sys.argv[2], sys.argv[5]
    workers, rounds = int(sys.argv[3]), int(sys.argv[4])
    processes = [Process(target=_worker, args=(port, conversation, rounds, out, w)) for w in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    sys.exit(max(1 if p.exitcode is None else abs(p.exitcode) for p in processes))  # None: still stuck
