"""`action_answer_question`: the vetted answer and its source, or an honest "not sure"."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import signals
from actions.kb import fresh_searcher, message_language, wants_long_answers
from knowledge_base import query_embedding
from passerelle.messages import text
from passerelle.replies import answer_text

MISSES_BEFORE_HANDOFF = 2


def answer_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Search the knowledge base for the latest message and reply (shared with small talk)."""
    message = tracker.latest_message.get("text") or ""
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    language = message_language(metadata, message, tracker.get_slot("language"))
    searcher = fresh_searcher()
    # the gateway's triage already embedded this message: reuse its vector if it is exactly ours
    vector = query_embedding.vector_for(metadata.get(query_embedding.METADATA_KEY), message.strip(),
                                        searcher.embedder.name, searcher.embedder.dim)
    result = searcher.search(message, language=language, query_vector=vector)
    events: list[EventType] = [SlotSet("language", language)]
    if result.answerable and result.entry is not None:
        entry = result.entry
        dispatcher.utter_message(text=answer_text(entry, language, fallback=result.fallback_language,
                                                  long=wants_long_answers(metadata)))
        dispatcher.utter_message(json_message=signals.answered(entry.id, entry.topic, entry.version))
        return events + [SlotSet("last_topic", entry.topic), SlotSet("misses", 0.0),
                         SlotSet("offered_human", False)]
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
    """Answer from the knowledge base; after two misses in a row, hand over to a mediator."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return answer_question(dispatcher, tracker)
