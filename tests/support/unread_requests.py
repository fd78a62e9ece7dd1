"""Whether a stopped server has requests waiting for it, read from the kernel's socket table.

A server stopped with SIGSTOP reads nothing, but the kernel still accepts connections and keeps
what clients send in each socket's receive queue. An established connection to the server's
port with bytes in that queue is a request the client sent and is now waiting on: the fault
tests use it to act at a known point of a request (a mediator claiming a conversation while the
gateway waits for Rasa's answer) without touching the code under test.
"""

from __future__ import annotations

from pathlib import Path

TCP_TABLE = Path("/proc/net/tcp")  # IPv4: the servers listen on 127.0.0.1
ESTABLISHED = "01"


def unread_requests(port: int) -> int:
    """How many established connections to local `port` hold bytes the server has not read."""
    count = 0
    for line in TCP_TABLE.read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        unread = int(queues.split(":")[1], 16)
        if int(local.split(":")[1], 16) == port and state == ESTABLISHED and unread > 0:
            count += 1
    return count
