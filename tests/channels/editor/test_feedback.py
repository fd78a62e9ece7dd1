"""Live feedback while typing, and "try it" (search now and with the draft), through the app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from channels.editor.feedback import check_duplicates, check_sms, check_sources, jargon_in, long_sentences
from passerelle.settings import Settings
from tests.channels.editor.conftest import ENTRY


def test_sms_size_uses_the_senders_encoding_and_segments() -> None:
    settings = Settings()
    (plain,) = check_sms("Bonjour, votre carte arrive.", settings)
    assert plain.values == {"characters": 28, "segments": 1, "encoding": "GSM-7"} and plain.level == "ok"
    arabic = check_sms("مرحبا " * 20, settings)
    assert arabic[0].values["encoding"] == "Unicode (UCS-2)" and arabic[0].values["segments"] == 2
    too_long = check_sms("a" * 400, settings)
    assert [f.code for f in too_long] == ["fb_sms_size", "fb_sms_too_long"] and too_long[1].level == "problem"


def test_jargon_long_sentences_sources_and_duplicates_are_spotted() -> None:
    settings = Settings()
    assert jargon_in("Respectez la posologie et les contre-indications.", "fr", settings) == [
        ("posologie", "la dose et quand la prendre"), ("contre-indication", "à ne pas prendre si...")]
    assert jargon_in("Respectez la posologie.", "en", settings) == []
    assert len(long_sentences("Court. " + "mot " * 25 + ".", 20)) == 1
    codes = [f.code for f in check_sources(["https://www.ameli.fr/x", "https://www.doctissimo.fr/y", "ameli"],
                                           settings)]
    assert codes == ["fb_source_not_allowed", "fb_source_broken"]
    others = [("carte-vitale-perdue-fr", "j ai perdu ma carte vitale je fais quoi"), ("ame-fr", "c quoi l'AME")]
    (duplicate,) = check_duplicates(["J'ai perdu ma carte Vitale, je fais quoi ?", "ma tension est haute"],
                                    others, settings)
    assert duplicate.values["entry"] == "carte-vitale-perdue-fr" and duplicate.values["score"] >= 88


def test_the_feedback_endpoint_answers_in_the_interface_language(client: TestClient, people, as_person) -> None:
    eve, token = as_person("eve@example.org")
    response = eve.post("/console/content/feedback", headers={"x-csrf-token": token}, data={
        "topic": "nouveau", "language": "fr", "answer_sms": "Respectez la posologie.",
        "questions": "j ai perdu ma carte vitale je fais quoi", "sources": "https://www.doctissimo.fr/x"})
    assert response.status_code == 200
    fields = response.json()["fields"]
    assert fields["answer_sms"][0]["text"] == "23 caractères, 1 SMS (GSM-7)"
    assert any("posologie" in f["text"] and f["level"] == "warn" for f in fields["answer_sms"])
    assert any("carte-vitale-perdue-fr" in f["text"] for f in fields["questions"])
    assert fields["sources"] == [{"level": "problem",
                                  "text": "www.doctissimo.fr n'est pas dans la liste des sites officiels autorisés."}]
    assert eve.post("/console/content/feedback", data={"answer_sms": "x"}).status_code == 403  # no CSRF token


def test_try_it_shows_search_now_and_with_the_unpublished_draft(client: TestClient, people, as_person) -> None:
    eve, token = as_person("eve@example.org")
    message = "je veux faire ma declaration de grossesse"
    response = eve.post("/console/content/try", headers={"x-csrf-token": token}, data={
        "q": message, "language": "fr", "entry_id": ENTRY,
        "questions": "declaration de grossesse en ligne\nje suis enceinte je declare comment"})
    assert response.status_code == 200, response.text
    result = response.json()
    after = {hit["id"]: hit for hit in result["after"]}
    before = {hit["id"]: hit for hit in result["before"]}
    assert after[ENTRY]["edited"] and after[ENTRY]["score"] > before.get(ENTRY, {"score": 0})["score"]
    assert result["after"][0]["id"] == ENTRY
