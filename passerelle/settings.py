"""One typed settings object, read from `PASSERELLE_*` environment variables and `.env`.

Defaults are the embedded single-server set-up that `make run` starts: SQLite, files on disk,
everything on 127.0.0.1, no credentials. Production overrides them through the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]

ALLOWED_SOURCE_DOMAINS: tuple[str, ...] = (
    "ameli.fr", "service-public.fr", "service-public.gouv.fr", "monespacesante.fr",
    "sante.gouv.fr", "santepubliquefrance.fr", "has-sante.fr", "sante.fr", "who.int",
    "vaccination-info-service.fr", "tabac-info-service.fr", "3114.fr",
    "arretonslesviolences.gouv.fr", "franceconnect.gouv.fr", "france-services.gouv.fr",
    "aidantsconnect.beta.gouv.fr", "conseiller-numerique.gouv.fr", "ansm.sante.fr",
    "cybermalveillance.gouv.fr", "alcool-info-service.fr", "drogues-info-service.fr",
    "mangerbouger.fr", "ivg.gouv.fr", "centres-antipoison.net", "allo119.gouv.fr",
    "sida-info-service.org", "questionsexualite.fr", "dondorganes.fr", "agence-biomedecine.fr",
    "legifrance.gouv.fr", "cnil.fr", "e-cancer.fr", "1000-premiers-jours.fr",
    "pour-les-personnes-agees.gouv.fr", "caf.fr", "info.gouv.fr", "gouvernement.fr",
    "solidarites.gouv.fr", "travail-emploi.gouv.fr", "mdphenligne.cnsa.fr", "cnsa.fr",
    "inserm.fr", "inca.fr", "anses.fr", "ecologie.gouv.fr", "interieur.gouv.fr", "justice.fr",
    "france-victimes.fr", "urssaf.fr", "info-ist.fr", "sante-sexuelle.fr",
)


class Settings(BaseSettings):
    """Every tunable of the product, with the embedded defaults."""

    model_config = SettingsConfigDict(
        env_prefix="PASSERELLE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # where things live
    content_dir: Path = ROOT / "knowledge_base" / "content"
    topics_file: Path = ROOT / "knowledge_base" / "topics.yaml"
    data_dir: Path = ROOT / "var"
    index_root: Path | None = Field(default=None, description="index snapshots; empty = <data_dir>/index")

    # knowledge-base search
    embedder: Literal["e5", "sentence-transformers"] = "e5"
    embedder_model: str = Field(
        default="",
        description="sentence-transformers model directory; empty = the packaged all-MiniLM-L6-v2",
    )
    embedder_threads: int = Field(
        default=1,
        description="threads per query embedding: one short text gains nothing from two, and on a busy "
                    "machine two OpenMP threads waiting on each other cost 30 times the CPU (measured)",
    )
    exact_index_max_vectors: int = 50_000
    top_k: int = 3
    lexical_weight: float = 0.2
    answer_threshold: float = Field(
        default=0.955, description="fused score under which the assistant says it is not sure (calibrated by make eval)"
    )
    suggest_threshold: float = Field(
        default=0.945, description="a message the search is not sure of gets its top topics as a numbered list when "
                                  "its best score plus suggest_gap_weight x its lead over the second topic reaches "
                                  "this (knowledge_base/suggest.py; chosen on the retrieval tuning sets)",
    )
    suggest_gap_weight: float = 1.0
    min_query_chars: int = 2
    crosslingual_languages: list[str] = Field(
        default=["es", "pt", "ar"],
        description="reply languages whose messages are also read by the cross-lingual encoder "
                    "(knowledge_base/crosslingual.py); empty: off",
    )
    crosslingual_weight: float = 0.5
    crosslingual_offset: float = Field(
        default=0.275, description="subtracted from those messages' e5 + weight x cross-lingual cosine, so that "
                                   "answer_threshold applies to them too (chosen on "
                                   "evaluation/data/retrieval_tune.jsonl)",
    )

    # triage (thresholds chosen by cross-validation: `python -m evaluation.triage_eval --cross-validate`)
    urgency_similarity_threshold: float = Field(
        default=0.925,
        description="similarity score (cosine to the closest urgent question plus twice its lead "
        "over the closest ordinary question) from which a message no pattern caught is urgent, "
        "when no learned model could be trained",
    )
    urgency_model_threshold: float = Field(
        default=0.5, description="learned probability from which a message no pattern caught is urgent"
    )
    urgency_model_calm_threshold: float = Field(
        default=0.95, description="the same when the context is calming (idiom, past event, media, information)"
    )
    urgency_model_veto_threshold: float = Field(
        default=0.2, description="learned probability under which a pattern match is not trusted"
    )
    myth_high_threshold: float = Field(
        default=0.55, description="myth score from which the reply is the respectful correction"
    )
    myth_low_threshold: float = Field(
        default=0.3, description="myth score from which a message is logged as a possible rumour"
    )

    # content rules
    allowed_source_domains: tuple[str, ...] = ALLOWED_SOURCE_DOMAINS
    sms_max_chars: int = 320
    long_max_chars: int = 900
    min_questions: int = 6
    min_claims: int = 6
    readability_min: dict[str, float] = {"fr": 45.0, "en": 50.0}

    # languages
    default_language: str = "fr"
    languages: tuple[str, ...] = ("fr", "en", "ar", "es", "pt")

    # servers
    host: str = "127.0.0.1"
    web_port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    rasa_timeout_s: float = 20.0
    action_port: int = 5055
    eval_ports: tuple[int, int, int, int] = Field(
        default=(8500, 5500, 5501, 5502),
        description="127.0.0.1 ports of the stack `passerelle eval` starts: web, Rasa, action server, Rasa FAQ "
        "baseline (apart from `make run`'s, so both can run at once)")

    # storage and privacy
    database_url: str = ""
    pseudonym_key: str = Field(default="", description="HMAC key for phone numbers; empty = var/secrets")
    rasa_tracker_url: str = Field(default="", description="Rasa's SQL tracker store; empty = var/rasa/tracker.db")
    retention_days: int = Field(default=365, description="conversations idle longer than this are deleted")
    max_inbound_chars: int = 20_000
    max_processed_chars: int = 1_000

    # mediators
    mediator_target_minutes: int = 15
    working_hours: str = "lun-ven 9h-18h"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    working_start_hour: int = 9
    working_end_hour: int = 18
    timezone: str = "Europe/Paris"

    # consoles (mediator, content)
    console_secret_key: str = Field(default="", description="signs the sign-in form token; empty = var/secrets")
    console_session_hours: int = 12
    console_cookie_secure: bool = Field(default=False, description="true behind HTTPS (production)")
    console_login_max_failures: int = Field(default=5, description="failed sign-ins per account per window")
    console_login_max_failures_per_ip: int = Field(default=20, description="failed sign-ins per address per window")
    console_login_window_minutes: int = 15
    console_poll_seconds: float = Field(default=0.5, description="how often live pages look for queue changes")
    console_reply_max_chars: int = 1600
    console_note_max_chars: int = 4000
    console_password_min_chars: int = 12
    console_password_time_cost: int = Field(default=3, description="argon2id passes (raise on faster servers)")
    console_password_memory_kib: int = Field(default=65536, description="argon2id memory per hash")
    console_snippets: int = 5

    # content editors (channels/editor/)
    editor_review_interval_days: int = Field(
        default=365, description="next review date set on publishing when the editor left it empty or past")
    editor_jargon_file: Path = Field(
        default=ROOT / "knowledge_base" / "jargon.yaml", description="words editors are told to explain, per language")
    editor_long_sentence_words: int = Field(default=20, description="a sentence longer than this is flagged")
    editor_duplicate_score: float = Field(
        default=88.0, description="rapidfuzz token-set ratio (0-100) from which two questions look duplicated")
    editor_import_max_bytes: int = Field(default=5_000_000, description="largest file the import accepts")
    editor_gap_days: int = Field(default=7, description="how far back the Gaps page looks")
    editor_gap_similarity: float = Field(
        default=0.88, description="cosine similarity from which two unanswered questions are grouped")

    # Twilio SMS and WhatsApp (channels/twilio/, channels/outbox.py). Without an account SID the
    # webhooks still check signatures (against a generated local token) and nothing is sent.
    public_base_url: str = Field(
        default="", description="origin Twilio calls, e.g. https://sante.example.org; empty = the request's own "
        "URL (X-Forwarded-Proto/Host when trusted). Also where delivery status callbacks are sent"
    )
    trust_forwarded_headers: bool = Field(
        default=True, description="rebuild the URL Twilio signed from X-Forwarded-Proto/Host (behind a proxy)"
    )
    twilio_account_sid: str = Field(default="", description="empty = sender disabled (replies stay queued)")
    twilio_auth_token: str = Field(default="", description="empty = a generated local secret (webhooks only)")
    twilio_api_base_url: str = Field(default="https://api.twilio.com", description="REST API origin (tests: a fake)")
    twilio_sms_numbers: tuple[str, ...] = Field(default=(), description='our SMS numbers, JSON: ["+33612345678"]')
    twilio_whatsapp_numbers: tuple[str, ...] = Field(default=(), description="our WhatsApp senders, E.164")
    twilio_whatsapp_template_sid: str = Field(
        default="", description="approved Content SID (HX...) sent when WhatsApp's session window is closed; "
        "its French text is the catalogue's whatsapp_followup. Empty = such messages fail, visibly"
    )
    whatsapp_window_hours: float = 24.0
    whatsapp_max_chars: int = 1600
    sms_max_segments: int = 3
    sms_transliterate_accents: bool = Field(
        default=True, description="write ê, ç, ô... as e, c, o when that keeps an SMS in GSM-7 (160 characters a "
        "segment instead of 70): cheaper, and answers fit in one page"
    )
    twilio_max_request_bytes: int = Field(default=65_536, description="larger webhook bodies get 413")
    voice_answer_timeout_s: float = Field(
        default=10.0, description="longest a caller waits for an answer before being told it comes by SMS "
                                  "(Twilio hangs up on a voice webhook after 15 s)")
    twilio_timeout_s: float = 10.0
    twilio_send_threads: int = Field(default=8, description="sends are mostly waiting on Twilio's answer")
    twilio_send_max_attempts: int = 6
    twilio_retry_base_s: float = Field(default=2.0, description="first retry delay; doubles each attempt")
    twilio_retry_max_s: float = 300.0
    twilio_recipient_burst: int = Field(default=6, description="messages one number may receive back to back")
    twilio_recipient_per_minute: float = Field(default=20.0, description="sustained rate to one number")
    gateway_threads: int = Field(default=4, description="threads processing inbound messages")

    @property
    def index_dir(self) -> Path:
        """Where the built FAISS index of the shipped content lives."""
        return self.index_root or self.data_dir / "index"

    @property
    def effective_tracker_url(self) -> str:
        """Rasa's tracker store, as the privacy tools reach it."""
        return self.rasa_tracker_url or f"sqlite:///{self.data_dir / 'rasa' / 'tracker.db'}"

    @property
    def effective_database_url(self) -> str:
        """The configured database, or an SQLite file under `data_dir`."""
        return self.database_url or f"sqlite:///{self.data_dir / 'passerelle.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests build their own `Settings`)."""
    return Settings()
