"""The quality gate: headline figures of a report against the targets in evaluation/targets.yaml.

`make test` runs the quick evaluation and this check (tests/evaluation/test_quality_gate.py),
so a change that makes the assistant answer worse, miss emergencies or mislabel myths fails the
build instead of regressing silently. A figure missing from the report fails too: a section
that crashed must not pass for one that met its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TARGETS = Path(__file__).resolve().parent / "targets.yaml"


@dataclass(frozen=True)
class Target:
    """One headline figure (a dotted path into the report's JSON) and its floor."""

    figure: str
    minimum: float
    label: str
    issue_target: float | None = None  # set while `minimum` is a temporary floor below the issue's target


@dataclass(frozen=True)
class Verdict:
    """A target checked against a report."""

    target: Target
    value: float | None

    @property
    def passed(self) -> bool:
        return self.value is not None and self.value >= self.target.minimum


def load_targets(path: Path = TARGETS) -> list[Target]:
    """The targets, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Target(t["figure"], float(t["min"]), t["label"],
                   float(t["issue_target"]) if t.get("issue_target") is not None else None)
            for t in data.get("targets", [])]


def figure_at(figures: dict[str, Any], path: str) -> float | None:
    """The number at a dotted path (`retrieval.systems.fused.overall.recall@1`), None if absent."""
    node: Any = figures
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def check(figures: dict[str, Any], targets: list[Target]) -> list[Verdict]:
    """Every target with the report's value."""
    return [Verdict(target, figure_at(figures, target.figure)) for target in targets]
