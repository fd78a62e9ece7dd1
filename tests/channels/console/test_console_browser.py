"""The console in real headless Chromium against the real stack (Rasa, action server, web app).

Slow: trains the Rasa model when its inputs changed and builds the index once (both cached under
var/test-console/), then starts the three servers on ports 8300-8399. Covers the journey of the
issue (sign in, an urgent conversation arrives live, claim, reply, hand back, the bot answers the
next message again), the SMS variant, the regression test of handoffs with the real bot, layouts,
and writes the measured arrival latency and screenshots under var/test-console/.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from channels import handoff
from channels.console import service
from channels.console.models import User
from channels.console.reply_cost import reply_cost
from channels.console.routers import counter_text
from channels.console.users import add_user
from channels.db import Database
from channels.gateway import Gateway, Inbound
from channels.models import Conversation, Message, utcnow
from channels.rasa_client import RasaClient
from knowledge_base.build import ensure_index
from passerelle.messages import text
from passerelle.secrets import rasa_token
from passerelle.settings import ROOT, Settings
from passerelle.stack import Stack
from tests.channels.console.conftest import CSRF, PASSWORD, as_signed_in
from tests.support.rasa_model import provide_rasa_model
from tests.support.stale_databases import remove_databases

pytestmark = pytest.mark.slow

DATA = ROOT / "var" / "test-console"
URGENT = "mon père a une douleur dans la poitrine et n'arrive plus à respirer"
QUESTION = "comment avoir une carte vitale"


@pytest.fixture(scope="module")
def stack() -> Iterator[Settings]:
    remove_databases(DATA)
    settings = Settings(data_dir=DATA, index_root=ROOT / "var" / "index", web_port=8300,
                        rasa_url="http://127.0.0.1:8305", action_port=8355)
    ensure_index(settings.content_dir, settings, progress=False)
    provide_rasa_model(settings)
    db = Database(settings.effective_database_url)
    db.upgrade()
    with db.session() as session:
        add_user(session, settings, "mona@example.org", PASSWORD, ["mediator"], name="Mona")
        add_user(session, settings, "sam@example.org", PASSWORD, ["mediator"], name="Sam")
        add_user(session, settings, "ada@example.org", PASSWORD, ["admin"], name="Ada")
    with Stack(settings):
        yield settings


@pytest.fixture(scope="module")
def db(stack: Settings) -> Database:
    return Database(stack.effective_database_url)


def base(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.web_port}"


def say(settings: Settings, sender: str, body: str) -> list[str]:
    response = httpx.post(f"{base(settings)}/api/simulate", json={"sender": sender, "text": body}, timeout=180)
    assert response.status_code == 200, response.text
    return response.json()["replies"]


def conversation_of(db: Database, channel: str, first_text: str) -> Conversation:
    with db.session() as session:
        found = session.scalar(select(Conversation).join(Message).where(
            Conversation.channel == channel, Message.body == first_text).order_by(Message.created_at.desc()))
        assert found is not None
        return found


def messages_of(db: Database, conversation_id: str) -> list[Message]:
    with db.session() as session:
        return list(session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                                    .order_by(Message.seq, Message.created_at)))


def sign_in(page: Page, settings: Settings, email: str = "mona@example.org") -> None:
    page.goto(f"{base(settings)}/console/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base(settings)}/console")


def open_queue_live(page: Page, settings: Settings) -> None:
    """The queue page, once its event stream is connected (its "hello" makes it refetch the rows)."""
    with page.expect_response(lambda r: "/console/queue/rows" in r.url):
        page.goto(f"{base(settings)}/console")


def test_journey_urgent_arrives_live_claim_reply_hand_back_and_the_bot_answers_again(
        stack: Settings, db: Database, page: Page) -> None:
    sign_in(page, stack)
    open_queue_live(page, stack)
    expect(page.locator("tr.urgent")).to_have_count(0)
    sender = f"journey-{uuid.uuid4().hex}"

    replies = say(stack, sender, URGENT)  # the emergency reply comes first, from the gateway
    assert "15" in replies[0] and replies[-1] == text("handoff_urgent", "fr")
    row = page.locator("tr.urgent")
    expect(row).to_have_count(1)  # arrived without reloading
    expect(row).to_contain_text("cœur")
    expect(page.locator("#live-alert")).to_contain_text("Nouvelle conversation urgente")
    assert page.title().startswith("(!)")

    row.get_by_role("link").click()
    page.get_by_role("button", name="Prendre en charge").click()
    expect(page.locator("#notice")).to_contain_text("Conversation prise en charge.")
    box = page.get_by_label("Votre réponse (envoyée par simulateur web)")
    reply = "Bonjour, je suis Mona, médiatrice. Votre père doit appeler le 15 tout de suite."
    box.fill(reply)
    expect(page.locator("#reply-counter")).to_have_text(f"{len(reply)} caractères")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#notice")).to_contain_text("Réponse enregistrée")
    conversation = conversation_of(db, "web", URGENT)
    mediator = [m for m in messages_of(db, conversation.id) if m.author == "mediator"]
    assert [(m.body[:7], m.status) for m in mediator] == [("Bonjour", "sent")]
    expect(page.locator(".author-mediator")).to_contain_text("Votre père doit appeler le 15")

    page.get_by_label("Résultat").select_option("answered")
    page.get_by_role("button", name="Rendre au bot").click()
    expect(page.locator("#notice")).to_contain_text("Conversation rendue au bot.")
    expect(page.locator("tr.urgent")).to_have_count(0)

    answer = say(stack, sender, QUESTION)
    assert answer and "Source : https://" in "\n".join(answer) and "carte" in "\n".join(answer).lower()
    after = [m for m in messages_of(db, conversation.id) if m.direction == "out"]
    assert [m.author for m in after][-len(answer) - 1:] == ["system"] + ["bot"] * len(answer)
    assert after[-1].meta.get("entry", {}).get("topic")  # a vetted entry answered, and says which


def test_sms_reply_is_queued_for_the_sender_and_the_counter_counts_sms(stack: Settings, db: Database,
                                                                        page: Page) -> None:
    rasa = RasaClient(stack.rasa_url, rasa_token(stack), 30)
    gateway = Gateway(stack, db, rasa)  # the stored message an SMS webhook would hand over
    number = f"+336{uuid.uuid4().int % 10**8:08d}"
    first, _ = gateway.receive(Inbound(channel="sms", address=number, body="HUMAIN"))
    gateway.process(first)
    with db.session() as session:
        conversation_id = session.get(Message, first).conversation_id  # type: ignore[union-attr]

    sign_in(page, stack)
    page.goto(f"{base(stack)}/console/conversations/{conversation_id}")
    page.get_by_role("button", name="Prendre en charge").click()
    box = page.get_by_label("Votre réponse (envoyée par SMS)")
    box.fill("Bonjour, c'est Mona.")
    expect(page.locator("#reply-counter")).to_have_text("20 caractères · 1 SMS (standard)")
    box.fill("Bonjour, c'est Mona 🙂 " + "a" * 60)
    expect(page.locator("#reply-counter")).to_contain_text("2 SMS (Unicode")
    box.fill("Bonjour, c'est Mona. Appelez le 3646 pour votre carte Vitale.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#notice")).to_contain_text("Réponse enregistrée")
    mediator = [m for m in messages_of(db, conversation_id) if m.author == "mediator"]
    assert [(m.status, m.body) for m in mediator] == [
        ("queued", "Bonjour, c'est Mona. Appelez le 3646 pour votre carte Vitale.")]

    page.get_by_role("button", name="Rendre au bot").click()
    expect(page.locator("#notice")).to_contain_text("Conversation rendue au bot.")
    again, _ = gateway.receive(Inbound(channel="sms", address=number, body=QUESTION))
    replies = gateway.process(again)
    assert replies and "Source : https://" in "\n".join(replies)


def test_no_bot_message_between_handoff_and_hand_back_with_the_real_bot(stack: Settings, db: Database) -> None:
    """The regression test of handoffs, with Rasa paused and resumed for real and concurrent messages."""
    sender = f"regression-{uuid.uuid4().hex}"
    asked = say(stack, sender, "je veux parler a un vrai humain")
    assert any("médiateur" in r for r in asked)
    questions = [QUESTION, "bonjour", "c koi mon espace santé", "merci", "vous etes la ?", "ameli mot de passe"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(lambda body: say(stack, sender, body), questions * 3)) == [[]] * 18

    with httpx.Client(base_url=base(stack), headers={"accept": "text/html"}, timeout=180,
                      follow_redirects=True) as mediator:
        form = mediator.get("/console/login")
        mediator.post("/console/login", data={"email": "sam@example.org", "password": PASSWORD,
                                              "csrf_token": CSRF.search(form.text).group(1)})  # type: ignore[union-attr]
        conversation = conversation_of(db, "web", "je veux parler a un vrai humain")
        page = mediator.get(f"/console/conversations/{conversation.id}")
        csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        assert mediator.post(f"/console/conversations/{conversation.id}/claim", data={"csrf_token": csrf}).is_success
        with ThreadPoolExecutor(max_workers=6) as pool:
            inbound = [pool.submit(say, stack, sender, body) for body in questions * 2]
            mediator.post(f"/console/conversations/{conversation.id}/reply",
                          data={"csrf_token": csrf, "body": "Bonjour, Sam, médiateur. Je vous lis."})
            assert [f.result() for f in inbound] == [[]] * 12
        assert mediator.post(f"/console/conversations/{conversation.id}/hand-back",
                             data={"csrf_token": csrf, "outcome": "answered"}).is_success

    answer = say(stack, sender, QUESTION)
    assert answer and "Source : https://" in "\n".join(answer)
    messages = messages_of(db, conversation.id)
    notice_at = max(i for i, m in enumerate(messages) if m.direction == "out" and "médiateur" in m.body
                    and m.author == "bot")
    back_at = next(i for i, m in enumerate(messages) if m.author == "system")
    held = messages[notice_at + 1:back_at]
    assert len([m for m in held if m.direction == "in"]) == 30
    assert [m.author for m in held if m.direction == "out"] == ["mediator"]


def test_layout_fits_a_tablet_and_the_keyboard_reaches_the_actions(stack: Settings, db: Database,
                                                                   browser: Browser) -> None:
    say(stack, f"tablet-{uuid.uuid4().hex}", "HUMAIN")
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    try:
        sign_in(page, stack)
        open_queue_live(page, stack)
        fits = "document.documentElement.scrollWidth <= window.innerWidth"
        assert page.evaluate(fits)
        page.locator("tr[data-conversation-id] a").first.click()
        assert page.evaluate(fits)
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')).map(el => el.name)""")
        assert unlabelled == []
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
        for _ in range(40):  # the claim button is reachable with Tab alone
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "claim":
                break
        page.keyboard.press("Enter")
        expect(page.locator("#notice")).to_contain_text("Conversation prise en charge.")
    finally:
        context.close()


def test_measure_urgent_arrival_latency_and_take_screenshots(stack: Settings, db: Database, page: Page) -> None:
    """Not an assertion on speed: the figures go to var/test-console/console-benchmark.json."""
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, stack)
    open_queue_live(page, stack)
    totals, posts = [], []
    for attempt in range(10):
        before = page.locator("tr.urgent").count()
        started = time.perf_counter()
        say(stack, f"latency-{attempt}-{uuid.uuid4().hex}", URGENT)
        posts.append(time.perf_counter() - started)
        expect(page.locator("tr.urgent")).to_have_count(before + 1, timeout=30_000)
        totals.append(time.perf_counter() - started)
    figures = {"urgent_arrival_s": {
        "runs": len(totals), "median": round(statistics.median(totals), 3), "max": round(max(totals), 3),
        "of_which_post_median": round(statistics.median(posts), 3), "poll_interval_s": stack.console_poll_seconds}}
    (DATA / "console-benchmark.json").write_text(json.dumps(figures, indent=2))
    print("\nconsole benchmark:", json.dumps(figures))

    # A queue worth a screenshot: earlier tests' conversations closed, then several reasons,
    # languages and channels, and one late conversation.
    rasa = RasaClient(stack.rasa_url, rasa_token(stack), 30)
    with db.session() as session:
        admin = as_signed_in(session.scalars(select(User).where(User.email == "ada@example.org")).one())
        held = list(session.scalars(select(Conversation.id).where(Conversation.state.in_(handoff.HELD_STATES))))
    for conversation_id in held:
        service.close(db, admin, conversation_id, rasa, "answered")
    say(stack, f"shot-urgent-{uuid.uuid4().hex}", URGENT)
    say(stack, f"shot-asked-{uuid.uuid4().hex}", "je veux parler a un vrai humain")
    late = f"shot-late-{uuid.uuid4().hex}"
    say(stack, late, "qui a gagné le match de foot hier soir")
    say(stack, late, "et la météo demain à Lyon ?")
    english = f"shot-en-{uuid.uuid4().hex}"
    say(stack, english, "hello I need help with my health card")
    say(stack, english, "HUMAN")
    gateway = Gateway(stack, db, rasa)
    number = f"+336{uuid.uuid4().int % 10**8:08d}"
    for body in ("c koi mon espace santé", "HUMAIN"):
        message_id, _ = gateway.receive(Inbound(channel="sms", address=number, body=body))
        gateway.process(message_id)
    with db.session() as session:
        session.execute(update(Conversation).where(Conversation.handoff_reason == "no_answer",
                                                   Conversation.state == "waiting")
                        .values(waiting_since=utcnow() - dt.timedelta(minutes=24)))
        sms_id = session.scalar(select(Conversation.id).where(Conversation.channel == "sms",
                                                              Conversation.state == "waiting"))
    page.reload()
    expect(page.locator("tr[data-conversation-id]")).to_have_count(5)
    shots = DATA / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "console-queue.png"), full_page=True)

    page.goto(f"{base(stack)}/console/conversations/{sms_id}")
    page.get_by_role("button", name="Prendre en charge").click()
    page.get_by_label("Nouvelle note (jamais envoyée à la personne)").fill("Proposer l'atelier numérique de jeudi.")
    page.get_by_role("button", name="Ajouter la note").click()
    draft = ("Bonjour, je suis Mona, médiatrice santé. Je peux vous aider à ouvrir Mon Espace Santé. "
             "Êtes-vous libre jeudi ?")
    page.get_by_label("Votre réponse (envoyée par SMS)").fill(draft)
    expect(page.locator("#reply-counter")).to_have_text(counter_text(reply_cost(draft, "sms", "fr", stack), "fr"))
    page.screenshot(path=str(shots / "console-conversation.png"), full_page=True)
