"""Reading a message with the curated urgency patterns of `urgency_patterns.yaml`.

Patterns are data so that the people who know how emergencies are written (mediators, the
content team) can extend them without touching code; this module only compiles and applies
them. See the YAML header for what situations, mentions, idioms, vetoes and present markers are.

A message is also read clause by clause (sentence ends, "...", a line break, "et sinon",
"also", "btw"): a veto said in one clause (a question on the mutuelle, "pour savoir", last year)
does not cancel a danger stated in another ("c pour savoir si ma mutuelle couvre le psy... ce
soir je compte plus me reveiller"), unless it is a veto that frames the whole message (a film, a
reassurance, a laugh, a trip: `reach: message`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from passerelle.text import normalise
from passerelle.yaml_load import safe_load

PATTERNS_FILE = Path(__file__).with_name("urgency_patterns.yaml")
# Patterns run on at most this many characters: a pasted 10k-character text is read, but a
# pathological paste cannot make triage slow.
MAX_PATTERN_CHARS = 4000
DOUBLED_EST = re.compile(r"\bc est est\b")

Kind = Literal["situation", "mention"]
Scope = Literal["all", "mentions", "similarity"]
Reach = Literal["clause", "message"]


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern and the name it is reported under ("suicide.fr.3")."""

    category: str
    language: str
    index: int
    kind: Kind
    regex: re.Pattern[str]

    @property
    def reason(self) -> str:
        prefix = "pattern" if self.kind == "situation" else "mention"
        return f"{prefix}:{self.category}.{self.language}.{self.index}"


@dataclass(frozen=True)
class Veto:
    """A context that makes alarming words harmless, and which matches it cancels."""

    name: str
    scope: Scope
    reach: Reach  # the clause it is said in, or the whole message
    regexes: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class PatternReading:
    """What the patterns say about one message."""

    match: Pattern | None  # the highest-priority match that no veto cancelled
    cancelled: Pattern | None  # the highest-priority match a veto cancelled, if any
    vetoes: frozenset[str]  # the vetoes present (after `present` markers); all calm similarity
    idiom: bool  # an idiom was removed ("mort de rire")


class UrgencyPatterns:
    """The compiled contents of one patterns file."""

    def __init__(self, path: Path = PATTERNS_FILE) -> None:
        data = safe_load(path.read_text(encoding="utf-8"))
        self.priority = {category: rank for rank, category in enumerate(data["categories"])}
        self.patterns: list[Pattern] = []
        for category, kinds in data["categories"].items():
            for language, items in kinds.get("situations", {}).items():
                self.patterns += [Pattern(category, language, i, "situation", re.compile(p))
                                  for i, p in enumerate(items)]
            for language, items in kinds.get("mentions", {}).items():
                self.patterns += [Pattern(category, language, i, "mention", re.compile(p))
                                  for i, p in enumerate(items or [])]
        self.idioms = [re.compile(p) for items in data["idioms"].values() for p in items]
        self.present = [re.compile(p) for items in data["present"].values() for p in items]
        self.danger = [re.compile(p) for items in data["danger"]["patterns"].values() for p in items]
        self.danger_cancels = frozenset(data["danger"]["cancels"])
        self.injury = [re.compile(p) for items in data["injury"]["patterns"].values() for p in items]
        self.injury_cancels = frozenset(data["injury"]["cancels"])
        self.contrast = re.compile("|".join(p for items in data["contrast"].values() for p in items))
        self.vetoes = [
            Veto(name, spec["scope"], spec.get("reach", "clause"),
                 tuple(re.compile(p) for items in spec["patterns"].values() for p in items))
            for name, spec in data["vetoes"].items()
        ]
        self.message_wide = frozenset(v.name for v in self.vetoes if v.reach == "message")
        self.clause_breaks = re.compile("|".join(p for items in data["clauses"].values() for p in items),
                                        re.IGNORECASE)

    def _fold(self, text: str) -> tuple[str, bool]:
        """The text patterns read: normalised, "c est est" (normalise expands the SMS "c" even
        before "est") said once, idioms removed; and whether an idiom was."""
        return self._strip_idioms(DOUBLED_EST.sub("c est", normalise(text)))

    def _strip_idioms(self, text: str) -> tuple[str, bool]:
        found = False
        for idiom in self.idioms:
            text, count = idiom.subn(" ", text)
            found = found or count > 0
        return text, found

    def _vetoes_in(self, text: str, raw: str) -> frozenset[str]:
        names = {veto.name for veto in self.vetoes
                 if any(r.search(text) or r.search(raw) for r in veto.regexes)}
        if "past" in names and any(r.search(text) for r in self.present):
            names.discard("past")
        if names & self.danger_cancels and any(r.search(text) for r in self.danger):
            names -= self.danger_cancels
        if names & self.injury_cancels and any(r.search(text) for r in self.injury):
            names -= self.injury_cancels
        return frozenset(names)

    def _cancels(self, pattern: Pattern, vetoes: frozenset[str]) -> bool:
        scopes = {"all", "mentions"} if pattern.kind == "mention" else {"all"}
        return any(v.name in vetoes and v.scope in scopes for v in self.vetoes)

    def clauses(self, text: str) -> list[str]:
        """The clauses of `text` as written (sentence ends, "...", line breaks, "et sinon", "btw"
        split them), blank ones left out: one item when the message is one clause."""
        return [c.strip() for c in self.clause_breaks.split(text[:MAX_PATTERN_CHARS]) if c and c.strip()]

    def _clause_readings(self, raw: str, vetoes: frozenset[str]) -> list[tuple[str, frozenset[str]]]:
        """Each clause's folded text and the vetoes that reach it: those said in it and those that
        frame the whole message, among the message's own (so a present or danger marker said in
        another clause still lifts the past veto). One clause: the message itself."""
        clauses = self.clauses(raw)
        if len(clauses) < 2:
            return []
        readings = []
        for clause in clauses:
            folded, _ = self._fold(clause)
            said = frozenset(v.name for v in self.vetoes if v.name in vetoes
                             and any(r.search(folded) or r.search(clause) for r in v.regexes))
            readings.append((folded, said | (vetoes & self.message_wide)))
        return readings

    def _cancelled_in_clauses(self, pattern: Pattern, vetoes: frozenset[str],
                              clauses: list[tuple[str, frozenset[str]]]) -> bool:
        """Whether the vetoes cancel `pattern` in every clause it is said in (the whole message's
        vetoes when it is said across clauses or the message has one)."""
        places = [reach for folded, reach in clauses if pattern.regex.search(folded)]
        return all(self._cancels(pattern, reach) for reach in places or [vetoes])

    def _after_contrast(self, folded: str, cancelled: list[Pattern]) -> set[Pattern]:
        """The cancelled matches that stand in the part after the last "mais" / "but": a veto said
        before it ("c surement rien lol mais ...", "il a fait un infarctus en 2019 mais la ...") does
        not cancel them, only a veto in that part does."""
        ends = [m.end() for m in self.contrast.finditer(folded)]
        if not ends:
            return set()
        tail = folded[ends[-1]:]
        vetoes = self._vetoes_in(tail, tail)
        return {p for p in cancelled if p.regex.search(tail) and not self._cancels(p, vetoes)}

    def read(self, text: str, language: str | None = None) -> PatternReading:
        """Apply every language's patterns to `text`, the message's own language first."""
        raw = text[:MAX_PATTERN_CHARS].casefold()
        folded, idiom = self._fold(raw)
        vetoes = self._vetoes_in(folded, raw)
        matches = [p for p in self.patterns if p.regex.search(folded)]
        matches.sort(key=lambda p: (self.priority[p.category], p.kind != "situation",
                                    p.language != language))
        vetoed = [p for p in matches if self._cancels(p, vetoes)]
        if vetoed:
            clauses = self._clause_readings(raw, vetoes)
            vetoed = [p for p in vetoed if self._cancelled_in_clauses(p, vetoes, clauses)]
        standing = self._after_contrast(folded, vetoed) if vetoed else set()
        cancelled = [p for p in vetoed if p not in standing]
        kept = [p for p in matches if p not in cancelled]
        return PatternReading(
            match=kept[0] if kept else None,
            cancelled=cancelled[0] if cancelled else None,
            vetoes=vetoes,
            idiom=idiom,
        )


@lru_cache(maxsize=2)
def load_patterns(path: Path = PATTERNS_FILE) -> UrgencyPatterns:
    """The patterns of `path`, compiled once per process."""
    return UrgencyPatterns(path)
