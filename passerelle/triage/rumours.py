"""The rumour radar: group messages that pass on a health claim no myth entry answers yet.

Editors see the week's new rumours as groups ("12 messages like: le vaccin X contient Y") and
can write an entry for the biggest ones. The caller chooses the messages: those whose verdict
has `new_rumour` (a rumour cue, no myth matched). Grouping is greedy on cosine similarity to
each group's running centroid: one pass, order-independent enough for a weekly list, and no
number of groups to guess in advance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from knowledge_base.embedders import Embedder

EMBED_CHARS = 500  # as in triage: the gist of a message is at its start


@dataclass(frozen=True)
class RumourGroup:
    """Messages saying the same thing, and the one that says it most typically."""

    representative: str
    count: int
    messages: tuple[str, ...]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def group_rumours(messages: list[str], embedder: Embedder, threshold: float) -> list[RumourGroup]:
    """Group `messages` whose cosine similarity to a group's centroid reaches `threshold`.

    Groups are returned largest first (then in order of first appearance); repeated messages
    count as many times as they were received.
    """
    texts = [m.strip() for m in messages if isinstance(m, str) and m.strip()]
    if not texts:
        return []
    vectors = embedder.embed_queries([t[:EMBED_CHARS] for t in texts])
    sums: list[np.ndarray] = []
    members: list[list[int]] = []
    for index, vector in enumerate(vectors):
        if sums:
            centroids = np.vstack([_unit(s) for s in sums])
            scores = centroids @ vector
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                sums[best] = sums[best] + vector
                members[best].append(index)
                continue
        sums.append(np.array(vector, dtype=np.float32))
        members.append([index])
    groups = []
    for total, indices in zip(sums, members, strict=True):
        closest = max(indices, key=lambda i: float(vectors[i] @ _unit(total)))
        groups.append(RumourGroup(texts[closest], len(indices), tuple(texts[i] for i in indices)))
    order = sorted(range(len(groups)), key=lambda g: (-groups[g].count, members[g][0]))
    return [groups[g] for g in order]
