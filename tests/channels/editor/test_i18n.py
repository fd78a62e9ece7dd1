"""Every text the content console shows comes from the consoles' catalogue, in French and English."""

from __future__ import annotations

import re
from pathlib import Path

from channels.console.i18n import catalogue
from channels.editor import routers
from knowledge_base.schema import Kind, Status

EDITOR = Path(__file__).parents[3] / "channels" / "editor"


def test_every_key_the_templates_and_the_code_use_exists_in_both_languages() -> None:
    used = {f"kb_notice_{n}" for n in routers.NOTICES}
    used |= {f"kbstatus_{s.value}" for s in Status} | {f"kind_{k.value}" for k in Kind}
    used |= {f"kb_filter_{s}" for s in ("open", "in_review", "withdrawn")} | {"kb_gaps_unanswered", "kb_gaps_rumours"}
    for template in (EDITOR / "templates").glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_]+)'[,)]", template.read_text(encoding="utf-8")))
    for module in EDITOR.glob("*.py"):
        used |= set(re.findall(r'"((?:problem|fb|pub|try)_[a-z_]+)"', module.read_text(encoding="utf-8")))
    used |= {f"field_{name}" for name in ("title", "questions", "answer_sms", "answer_long", "sources", "review_due",
                                          "claims", "verdict", "urgency_categories", "emergency_numbers")}
    assert used - set(catalogue("fr")) == set()
    assert used - set(catalogue("en")) == set()
