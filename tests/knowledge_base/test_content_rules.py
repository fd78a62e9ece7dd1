import datetime as dt

from knowledge_base.content_rules import check_entry, source_allowed
from knowledge_base.schema import Entry
from passerelle.settings import Settings

TOPICS = {"demo": {"id": "demo", "kind": "service"}, "urg": {"id": "urg", "kind": "urgent"}}


def entry(**changes: object) -> Entry:
    data: dict[str, object] = {
        "id": "demo-fr", "topic": "demo", "kind": "service", "language": "fr", "title": "Démo",
        "questions": ["q1", "q2", "q3", "q4", "q5", "q6"], "answer_sms": "Allez sur ameli.fr. C'est simple.",
        "answer_long": "Allez sur ameli.fr.", "sources": ["https://www.ameli.fr/assure"],
        "reviewed_by": "equipe", "reviewed_on": "2026-01-01", "review_due": "2027-01-01", "status": "published",
    }
    data.update(changes)
    return Entry.model_validate(data)


def fields(problems: list) -> set[str]:
    return {p.field for p in problems}


def test_a_good_entry_passes() -> None:
    assert check_entry(entry(), "x", Settings(), TOPICS, today=dt.date(2026, 6, 1)) == []


def test_each_rule_is_reported_with_its_field() -> None:
    bad = entry(questions=["only one"], answer_sms="x" * 400, sources=["http://blog.example.com/post"],
                review_due="2026-01-02", topic="unknown")
    found = fields(check_entry(bad, "x", Settings(), TOPICS, today=dt.date(2026, 6, 1)))
    assert {"questions", "answer_sms", "sources", "review_due", "topic"} <= found


def test_urgent_answer_must_start_with_the_number() -> None:
    late = entry(id="urg-fr", topic="urg", kind="urgent", emergency_numbers=["15"],
                 answer_sms="Restez calme et respirez doucement, puis si cela continue appelez le 15.")
    assert "answer_sms" in fields(check_entry(late, "x", Settings(), TOPICS, today=dt.date(2026, 6, 1)))


def test_hard_to_read_answers_are_flagged() -> None:
    dense = entry(answer_sms=("L'interopérabilité des systèmes d'information hospitaliers conditionne "
                              "l'effectivité de la dématérialisation administrative intersectorielle."))
    problems = check_entry(dense, "x", Settings(), TOPICS, today=dt.date(2026, 6, 1))
    assert any("readability" in p.message for p in problems)


def test_source_allow_list_accepts_subdomains_only_over_https() -> None:
    allowed = ("ameli.fr",)
    assert source_allowed("https://monsoutienpsy.ameli.fr/x", allowed)
    assert not source_allowed("http://www.ameli.fr/", allowed)
    assert not source_allowed("https://ameli.fr.evil.com/", allowed)
