"""The console's catalogue: French and English complete, and every text the pages and code use exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from channels.console import audit, permissions, service
from channels.console.i18n import catalogue, ui_label, ui_text
from channels.console.queue import VIEWS
from channels.console.routers import NOTICES
from channels.models import ConversationState
from channels.outbox import SEND_FAILED
from knowledge_base.schema import URGENCY_CATEGORIES

CONSOLE = Path(__file__).parents[3] / "channels" / "console"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_french_and_english_have_the_same_keys_and_placeholders() -> None:
    french, english = catalogue("fr"), catalogue("en")
    assert all(isinstance(key, str) for key in [*french, *english])  # YAML reads a bare `no:` as False
    assert set(french) == set(english)
    for key, value in french.items():
        assert set(PLACEHOLDER.findall(value)) == set(PLACEHOLDER.findall(english[key])), key


def test_every_key_the_templates_and_the_code_use_exists() -> None:
    used = set()
    for template in (CONSOLE / "templates").glob("*.html"):
        used |= set(re.findall(r"\b(?:t|tpl)\('([a-z_]+)'[,)]", template.read_text(encoding="utf-8")))
    for module in CONSOLE.glob("*.py"):
        used |= set(re.findall(r'"(problem_[a-z_]+)"', module.read_text(encoding="utf-8")))
    used |= {f"notice_{n}" for n in NOTICES} | {f"view_{v}" for v in VIEWS}
    assert used and used <= set(catalogue("fr")), used - set(catalogue("fr"))


@pytest.mark.parametrize(("prefix", "values"), [
    ("outcome", list(service.Outcome)), ("role", list(permissions.Role)), ("action", list(audit.AuditAction)),
    ("state", list(ConversationState)), ("category", list(URGENCY_CATEGORIES)),
    ("reason", ["asked", "no_answer", "urgent", service.PROACTIVE_REASON, SEND_FAILED]),
    ("flag", ["urgent", "myth", "myth_possible", "rumour"]), ("channel", ["sms", "whatsapp", "web"]),
    ("status", ["queued", "sent"]), ("author", ["person", "bot", "mediator", "system"]),
])
def test_every_coded_value_has_a_label(prefix: str, values: list[str]) -> None:
    for value in values:
        assert f"{prefix}_{value}" in catalogue("fr"), f"{prefix}_{value}"


def test_texts_fall_back_to_french_and_unknown_codes_show_as_is() -> None:
    assert ui_text("queue_title", "de") == ui_text("queue_title", "fr")
    assert ui_text("queue_caption", "en", count=3) == "Open conversations: 3"
    assert ui_label("category", "cardiac", "en") == "heart"
    assert ui_label("category", "carte-vitale", "en") == "carte-vitale"
    with pytest.raises(KeyError):
        ui_text("no_such_text", "fr")
