"""Small talk, handoff requests, opt-out and language changes, all from the catalogue."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import signals
from actions.answer import SUGGESTED_SLOT, answer_question
from actions.kb import message_language
from passerelle.choice import parse_choice
from passerelle.language import requested_language
from passerelle.messages import text
from passerelle.text import content_tokens

# A greeting, a thanks or a yes/no followed by a real question ("bonjour, comment activer ...",
# "et la meteo demain ?") is a question: classifiers see the small word, people expect an answer.
QUESTION_MIN_TOKENS = 3
QUESTION_PRONE_INTENTS = {"greet", "thanks", "goodbye", "affirm", "deny", "feedback_good"}
# A canned reply to a misread question loses the answer (worse: a misread "yes" after an offer of a
# mediator hands the conversation over), while searching a misread "oui" only costs an honest "not
# sure". With the shipped pipeline real small talk ("oui", "merci", "slt", "nan", "a+") scored
# 0.83-0.99 and short topic words read as small talk ("vaccin grippe" affirm, "rdv medecin" thanks)
# 0.35-0.50 (2026-11-23), so a small-talk intent below this confidence is searched instead.
SMALL_TALK_MIN_CONFIDENCE = 0.7
SIMPLE_REPLIES = {
    "greet": "greet", "goodbye": "goodbye", "thanks": "thanks", "bot_challenge": "bot_challenge",
    "feedback_good": "feedback_good",
}


def _started(language: str) -> list[EventType]:
    """The events every reply begins with: the message's language, and the end of any list of
    suggestions (it holds for the next message only)."""
    return [SlotSet("language", language), SlotSet(SUGGESTED_SLOT, None)]


def _language(tracker: Tracker) -> str:
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    return message_language(metadata, tracker.latest_message.get("text") or "", tracker.get_slot("language"))


class ActionSmallTalk(Action):
    """Greetings, thanks, yes/no after an offer of a mediator, feedback."""

    def name(self) -> str:
        return "action_small_talk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        parsed = tracker.latest_message.get("intent") or {}
        intent, confidence = parsed.get("name"), float(parsed.get("confidence") or 0.0)
        message = tracker.latest_message.get("text") or ""
        language = _language(tracker)
        events = _started(language)
        # a number picking from the list just offered is a choice, whatever the NLU read in it
        suggested = tracker.get_slot(SUGGESTED_SLOT) or []
        if suggested and parse_choice(message, len(suggested)) is not None:
            return answer_question(dispatcher, tracker)
        if intent in QUESTION_PRONE_INTENTS and (len(content_tokens(message)) >= QUESTION_MIN_TOKENS
                                                 or confidence < SMALL_TALK_MIN_CONFIDENCE):
            return answer_question(dispatcher, tracker)
        if intent == "affirm":
            if tracker.get_slot("offered_human"):
                dispatcher.utter_message(json_message=signals.handoff("asked"))
                return events + [SlotSet("offered_human", False)]
            dispatcher.utter_message(text=text("affirm_alone", language))
            return events
        if intent == "deny":
            dispatcher.utter_message(text=text("deny_after_offer", language))
            return events + [SlotSet("offered_human", False)]
        if intent == "feedback_bad":
            dispatcher.utter_message(text=text("feedback_bad", language))
            return events + [SlotSet("offered_human", True)]
        dispatcher.utter_message(text=text(SIMPLE_REPLIES.get(intent or "", "greet"), language))
        return events


class ActionHandoff(Action):
    """The person asked for a human: the gateway pauses the bot and queues the conversation."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(json_message=signals.handoff("asked"))
        return _started(_language(tracker)) + [SlotSet("offered_human", False)]


class ActionOptOut(Action):
    """The person wants no more messages: confirm once; the gateway records the opt-out."""

    def name(self) -> str:
        return "action_opt_out"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = _language(tracker)
        dispatcher.utter_message(text=text("opt_out_confirm", language))
        dispatcher.utter_message(json_message=signals.opt_out())
        return _started(language)


class ActionChangeLanguage(Action):
    """Switch the conversation to the language the person asks for."""

    def name(self) -> str:
        return "action_change_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message.get("text") or ""
        language = requested_language(message) or _language(tracker)
        dispatcher.utter_message(text=text("language_switched", language))
        dispatcher.utter_message(json_message=signals.language(language))
        return _started(language)
