"""`action_answer_question`: the vetted answer and its source, a numbered list of likely topics,
or an honest "not sure"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import signals
from actions.kb import fresh_searcher, message_language, wants_long_answers
from knowledge_base import query_embedding
from knowledge_base.schema import Entry
from knowledge_base.search import Searcher
from knowledge_base.suggest import suggestions
from passerelle.choice import parse_choice
from passerelle.messages import text
from passerelle.replies import answer_text, suggestion_text

MISSES_BEFORE_HANDOFF = 2
SUGGESTED_SLOT = "suggested"


def chosen_entry(tracker: Tracker, searcher: Searcher) -> Entry | None:
    """The suggested entry the latest message picks ("2", "le 2", "٢"), if the previous reply
    offered a list; None otherwise, or when the index no longer holds that entry."""
    suggested = tracker.get_slot(SUGGESTED_SLOT) or []
    choice = parse_choice(tracker.latest_message.get("text") or "", len(suggested)) if suggested else None
    if choice is None:
        return None
    wanted = suggested[choice - 1]
    return next((entry for entry in searcher.snapshot.entries if entry.id == wanted), None)


def _answer(dispatcher: CollectingDispatcher, entry: Entry, language: str, fallback: bool,
            metadata: dict[str, Any]) -> list[EventType]:
    dispatcher.utter_message(text=answer_text(entry, language, fallback=fallback, long=wants_long_answers(metadata)))
    dispatcher.utter_message(json_message=signals.answered(entry.id, entry.topic, entry.version))
    return [SlotSet("last_topic", entry.topic), SlotSet("misses", 0.0), SlotSet("offered_human", False)]


def answer_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Answer the latest message (shared with small talk): the entry it picks from the list the
    previous reply offered, else the search's answer, its likely topics, or "not sure"."""
    message = tracker.latest_message.get("text") or ""
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    language = message_language(metadata, message, tracker.get_slot("language"))
    searcher = fresh_searcher()
    # a list of suggestions holds for the next message only
    events: list[EventType] = [SlotSet("language", language), SlotSet(SUGGESTED_SLOT, None)]
    chosen = chosen_entry(tracker, searcher)
    if chosen is not None:
        return events + _answer(dispatcher, chosen, language, chosen.language != language, metadata)
    # the gateway's triage already embedded this message: reuse its vector if it is exactly ours
    vector = query_embedding.vector_for(metadata.get(query_embedding.METADATA_KEY), message.strip(),
                                        searcher.embedder.name, searcher.embedder.dim)
    result = searcher.search(message, language=language, query_vector=vector)
    if result.answerable and result.entry is not None:
        return events + _answer(dispatcher, result.entry, language, result.fallback_language, metadata)
    offered = suggestions(result, searcher.settings)
    if offered:
        reply, count = suggestion_text([hit.title for hit in offered], language, searcher.settings.sms_max_chars)
        ids = [hit.id for hit in offered[:count]]
        dispatcher.utter_message(text=reply)
        dispatcher.utter_message(json_message=signals.suggested(ids))
        dispatcher.utter_message(json_message=signals.unanswered("suggested"))
        # not a miss (the person has a way forward) and not an offer of a mediator to say OUI to
        return events + [SlotSet(SUGGESTED_SLOT, ids), SlotSet("offered_human", False)]
    misses = float(tracker.get_slot("misses") or 0) + 1
    if misses >= MISSES_BEFORE_HANDOFF:
        dispatcher.utter_message(json_message=signals.handoff("no_answer"))
        dispatcher.utter_message(json_message=signals.unanswered("handoff"))
        return events + [SlotSet("misses", 0.0), SlotSet("offered_human", False)]
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    reason = "out_of_scope" if intent == "out_of_scope" else "not_sure"
    dispatcher.utter_message(text=text(reason, language))
    dispatcher.utter_message(json_message=signals.unanswered(reason))
    return events + [SlotSet("misses", misses), SlotSet("offered_human", True)]


class ActionAnswerQuestion(Action):
    """Answer from the knowledge base, or offer likely topics; after two misses in a row, hand over
    to a mediator."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return answer_question(dispatcher, tracker)
