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

from passerelle.yaml_load import safe_load

TARGETS = Path(__file__).resolve().parent / "targets.yaml"


@dataclass(frozen=True)
class Target:
    """One headline figure (a dotted path into the report's JSON) and the bound the issues set.

    `minimum` for what must stay high (recall, precision), `maximum` for what must stay low
    (false alarms); `source` names the issue the number comes from. `floor` is for a target not
    reached yet: the build holds the figure at the level measured (so it cannot get worse
    unnoticed) and the report shows it below its target, with `note` saying where it stands.
    """

    figure: str
    label: str
    minimum: float | None = None
    maximum: float | None = None
    source: str = ""
    floor: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if (self.minimum is None) == (self.maximum is None):
            raise ValueError(f"target {self.figure}: give exactly one of min and max")

    @property
    def bound(self) -> str:
        """The target as people write it: '>= 90.0%' or '<= 10.0%'."""
        return f">= {self.minimum:.1%}" if self.minimum is not None else f"<= {self.maximum:.1%}"


@dataclass(frozen=True)
class Verdict:
    """A target checked against a report."""

    target: Target
    value: float | None

    @property
    def passed(self) -> bool:
        """The figure meets the issue's target."""
        return self._within(self.target.minimum, self.target.maximum)

    @property
    def holds(self) -> bool:
        """The build may pass: the target is met, or a target not reached yet keeps its floor."""
        if self.target.floor is None:
            return self.passed
        if self.target.minimum is not None:
            return self._within(self.target.floor, None)
        return self._within(None, self.target.floor)

    def _within(self, minimum: float | None, maximum: float | None) -> bool:
        if self.value is None:
            return False
        if minimum is not None:
            return self.value >= minimum
        return maximum is not None and self.value <= maximum

    def as_dict(self) -> dict[str, Any]:
        """The verdict as saved in figures.json and shown in the report."""
        t = self.target
        return {"figure": t.figure, "label": t.label, "min": t.minimum, "max": t.maximum, "target": t.bound,
                "source": t.source, "value": self.value, "passed": self.passed, "floor": t.floor,
                "holds": self.holds, "note": t.note}


def _bound(raw: dict[str, Any], key: str) -> float | None:
    return float(raw[key]) if raw.get(key) is not None else None


def load_targets(path: Path = TARGETS) -> list[Target]:
    """The targets, in file order."""
    data = safe_load(path.read_text(encoding="utf-8")) or {}
    return [Target(t["figure"], t["label"], _bound(t, "min"), _bound(t, "max"), t.get("source", ""),
                   _bound(t, "floor"), t.get("note", "")) for t in data.get("targets", [])]


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
