"""Bounded load run of the SMS path on 127.0.0.1: signed Twilio webhooks in, the fake Twilio out.

`python -m evaluation.load.twilio_load --rate 20 --duration 60` starts the whole stack (Rasa,
action server, web app) on ports 8210-8212 with its data in var/load-twilio/, the fake Twilio
REST API on 8213 (its own process), then posts signed inbound SMS at a fixed rate (open loop:
it does not wait for answers) from simulated people asking the development-set questions
(`--messages questions`, the full path) or sending AIDE / HELP (`--messages keywords`: answered by
the gateway itself, so the run measures the channel: webhook, storage, workers, sender, callbacks),
or the two alternating (`--messages mixed`, the soak's default: `evaluation/load/soak.py`).

It reports, from the gateway's database and the fake's records:
- sustained throughput: inbound messages answered per second over the run;
- webhook acknowledgement latency, and webhook-to-send latency (post of the inbound webhook to
  the fake receiving the first reply) p50/p95/max, with the stages in between (store, wait +
  processing, wait for the sender, send);
- lost (not stored, not processed, reply not sent) and duplicated (stored twice, a reply row
  sent twice) counts, which must be zero;
- CPU seconds used by each process, to show where the time goes.
A JSON copy goes to evaluation/reports/load/.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from channels.db import Database
from channels.models import Message
from passerelle.settings import ROOT, Settings
from passerelle.stack import APP_PYTHON, Stack, train_if_needed

ACCOUNT = "AC" + "7" * 32
TOKEN = "load-test-token-not-a-secret"
NUMBER = "+33700000042"
QUESTIONS = ROOT / "evaluation" / "data" / "dev_queries.jsonl"


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 4),
            "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 4),
            "max": round(ordered[-1], 4)}


def _cpu_seconds(group: int) -> float:
    """CPU time (user + system, reaped children included) of a process group, from /proc.

    Whole groups, because the servers fork workers (the action server runs its actions in a child).
    """
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        if int(fields[2]) == group:
            ticks += sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat.

    Whether the cores were full during the load tells a saturated machine from a process that
    cannot use them (one busy core out of two means a bottleneck in our code, not the hardware).
    """
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def _stamp(value: dt.datetime | str | None) -> float | None:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


async def _drive(url: str, rate: float, duration: float, per_person: int, questions: list[str]) -> list[dict[str, Any]]:
    """Post signed webhooks at `rate` per second for `duration` seconds; returns one record per post."""
    total = int(rate * duration)
    people = [f"+336{n:08d}" for n in range(max(1, total // per_person))]
    validator = RequestValidator(TOKEN)
    records: list[dict[str, Any]] = []

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) as client:
        async def post(index: int) -> None:
            params = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT, "From": people[index % len(people)],
                      "To": NUMBER, "Body": questions[index % len(questions)], "NumMedia": "0"}
            headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
            started = time.time()
            status: int | str
            try:
                status = (await client.post(url, data=params, headers=headers)).status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            records.append({"sid": params["MessageSid"], "posted": started, "ack_s": time.time() - started,
                            "status": status})

        begin = time.monotonic()
        tasks = []
        for index in range(total):
            delay = begin + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(index)))
        await asyncio.gather(*tasks)
    return records


def _settle(database: Database, expected: int, timeout_s: float) -> None:
    """Wait until every inbound message is processed and nothing waits to be sent."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with database.session() as session:
            rows = session.execute(select(Message.direction, Message.status)).all()
        inbound_done = sum(1 for d, s in rows if d == "in" and s == "done")
        waiting = sum(1 for d, s in rows if d == "out" and s in ("queued", "sending"))
        if inbound_done >= expected and waiting == 0:
            return
        time.sleep(0.5)


def _analyse(records: list[dict[str, Any]], database: Database, fake_messages: list[dict[str, Any]],
             rate: float, duration: float) -> dict[str, Any]:
    with database.session() as session:
        messages = list(session.scalars(select(Message)))
    inbound = {m.provider_sid: m for m in messages if m.direction == "in"}
    replies: dict[str, list[Message]] = {}
    for message in messages:
        if message.direction == "out":
            replies.setdefault((message.meta or {}).get("in_reply_to", ""), []).append(message)
    sends_per_row = Counter(parse_qs(urlparse(m["status_callback"] or "").query).get("m", [""])[0]
                            for m in fake_messages)
    received_at = {row_id: min(m["received_at"] for m in fake_messages
                               if parse_qs(urlparse(m["status_callback"] or "").query).get("m", [""])[0] == row_id)
                   for row_id in sends_per_row}

    stages: dict[str, list[float]] = {"store": [], "queue_and_processing": [], "wait_for_sender": [], "send": [],
                                      "webhook_to_send": []}
    answered_at: list[float] = []
    silent = 0
    for record in records:
        found = inbound.get(record["sid"])
        if found is None:
            continue
        message = found
        rows = sorted(replies.get(message.id, []), key=lambda m: m.seq)
        if not rows:
            silent += 1
            continue
        first = rows[0]
        if first.id not in received_at:
            continue
        created, processed = _stamp(message.created_at), _stamp(message.processed_at)
        claimed, arrived = _stamp((first.meta or {}).get("claimed_at")), received_at[first.id]
        stages["webhook_to_send"].append(arrived - record["posted"])
        answered_at.append(arrived)
        if created and processed and claimed:
            stages["store"].append(created - record["posted"])
            stages["queue_and_processing"].append(processed - created)
            stages["wait_for_sender"].append(claimed - processed)
            stages["send"].append(arrived - claimed)

    out_rows = [m for m in messages if m.direction == "out"]
    first_post = min(r["posted"] for r in records)
    return {
        "offered_rate_per_s": rate, "duration_s": duration, "posted": len(records),
        "acknowledged_200": sum(1 for r in records if r["status"] == 200),
        "ack_latency_s": _percentiles([r["ack_s"] for r in records]),
        "sustained_answered_per_s": round(len(answered_at) / (max(answered_at) - first_post), 2) if answered_at else 0,
        "latency_s": {name: _percentiles(values) for name, values in stages.items()},
        "lost": {"not_stored": sum(1 for r in records if r["sid"] not in inbound),
                 "not_processed": sum(1 for m in inbound.values() if m.status != "done"),
                 "reply_not_sent": sum(1 for m in out_rows if m.status not in ("sent", "delivered"))},
        "duplicated": {"stored_twice": len(records) - len({r["sid"] for r in records}) + sum(
                           1 for sid, n in Counter(m.provider_sid for m in messages if m.direction == "in").items()
                           if n > 1),
                       "reply_sent_twice": sum(1 for n in sends_per_row.values() if n > 1),
                       "sent_without_row": sum(n for row_id, n in sends_per_row.items()
                                               if row_id not in {m.id for m in out_rows})},
        "answered": len(answered_at),
        "inbound_without_reply": silent,
        "replies_sent": len(fake_messages),
        "delivered_callbacks": sum(1 for m in out_rows if m.status == "delivered"),
    }


@dataclass
class Running:
    """The stack and the fake Twilio, as a load run drives them."""

    settings: Settings
    fake_port: int
    pids: dict[str, int]  # process group of each server

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.settings.web_port}/twilio/sms"

    @property
    def database(self) -> Database:
        return Database(self.settings.effective_database_url)

    def fake_messages(self) -> list[dict[str, Any]]:
        """What the fake Twilio received."""
        return httpx.get(f"http://127.0.0.1:{self.fake_port}/_messages", timeout=60).json()


@contextmanager
def running_stack(port: int, data_dir: Path) -> Iterator[Running]:
    """Fresh databases, the stack on `port`..`port`+2 and the fake Twilio on `port`+3; stopped at the end."""
    (data_dir / "passerelle.db").unlink(missing_ok=True)
    (data_dir / "rasa" / "tracker.db").unlink(missing_ok=True)
    web, rasa, actions, fake_port = port, port + 1, port + 2, port + 3
    settings = Settings(data_dir=data_dir, index_root=ROOT / "var" / "index", web_port=web,  # `make run`'s index
                        rasa_url=f"http://127.0.0.1:{rasa}", action_port=actions)
    from knowledge_base.build import ensure_index

    ensure_index(settings.content_dir, settings, progress=False)
    train_if_needed(settings)
    os.environ.update({"PASSERELLE_TWILIO_ACCOUNT_SID": ACCOUNT, "PASSERELLE_TWILIO_AUTH_TOKEN": TOKEN,
                       "PASSERELLE_TWILIO_API_BASE_URL": f"http://127.0.0.1:{fake_port}",
                       "PASSERELLE_TWILIO_SMS_NUMBERS": json.dumps([NUMBER]),
                       "PASSERELLE_PUBLIC_BASE_URL": f"http://127.0.0.1:{web}",
                       "PASSERELLE_TWILIO_RECIPIENT_BURST": "20"})
    fake = subprocess.Popen([str(APP_PYTHON), "-m", "tests.channels.twilio.fake_twilio", "--port", str(fake_port),
                             "--account-sid", ACCOUNT, "--auth-token", TOKEN, "--callbacks"], cwd=ROOT,
                            start_new_session=True)
    try:
        with Stack(settings) as stack:
            pids = {name: process.pid for name, process in stack.processes.items()} | {"fake_twilio": fake.pid}
            yield Running(settings, fake_port, pids)
    finally:
        fake.terminate()
        fake.wait(timeout=10)


def load_messages(kind: str) -> list[str]:
    """The texts people send: development-set questions, keywords, or the two alternating."""
    questions = [json.loads(line)["text"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    keywords = ["AIDE", "HELP", "aide"]
    if kind == "questions":
        return questions
    if kind == "keywords":
        return keywords
    return [text for pair in zip(questions, keywords * len(questions), strict=False) for text in pair]


def save_report(report: dict[str, Any], name: str) -> Path:
    """Write the JSON report under evaluation/reports/load/ and print it."""
    out = ROOT / "evaluation" / "reports" / "load"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"saved {path}")
    return path


def main() -> int:
    """Run the load, print the report, save it as JSON; exit 1 if anything was lost or duplicated."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0, help="inbound messages per second (default 20)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    parser.add_argument("--per-person", type=int, default=2, help="messages each simulated person sends")
    parser.add_argument("--port", type=int, default=8210, help="first of four ports: web, rasa, actions, fake")
    parser.add_argument("--settle", type=float, default=600.0, help="seconds to let a backlog drain (default 600)")
    parser.add_argument("--messages", choices=["questions", "keywords", "mixed"], default="questions",
                        help="questions: the development set, through triage, Rasa and the action server; "
                        "keywords: AIDE/HELP, answered by the gateway itself (the channel's own capacity); "
                        "mixed: the two alternating")
    args = parser.parse_args()

    with running_stack(args.port, ROOT / "var" / "load-twilio") as running:
        cpu_before = {name: _cpu_seconds(pid) for name, pid in running.pids.items()}
        print(f"stack ready; posting {int(args.rate * args.duration)} messages at {args.rate}/s", flush=True)
        load_before = os.getloadavg()
        ticks_before, own_before = _machine_ticks(), time.process_time()
        records = asyncio.run(_drive(running.webhook, args.rate, args.duration, args.per_person,
                                     load_messages(args.messages)))
        load_during = os.getloadavg()
        ticks_during, own_during = _machine_ticks(), time.process_time()
        database = running.database
        _settle(database, len(records), timeout_s=args.settle)
        time.sleep(2)  # the last delivery callbacks
        cpu = {name: round(_cpu_seconds(pid) - cpu_before[name], 1) for name, pid in running.pids.items()}
        report = _analyse(records, database, running.fake_messages(), args.rate, args.duration)
        report["cpu_seconds"] = cpu | {"load_generator_while_posting": round(own_during - own_before, 1)}
        report["messages"] = args.messages
        report["machine"] = {"cpus": os.cpu_count(), "load_average_before": [round(v, 1) for v in load_before],
                             "load_average_end_of_load": [round(v, 1) for v in load_during],
                             "cores_busy_while_posting": round(
                                 (ticks_during[0] - ticks_before[0]) / (ticks_during[1] - ticks_before[1]), 3)}
    save_report(report, f"twilio-{args.messages}-{int(args.rate)}per-s")
    failures = sum(report["lost"].values()) + sum(report["duplicated"].values())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
