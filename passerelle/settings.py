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

    # knowledge-base search
    embedder: Literal["e5", "sentence-transformers"] = "e5"
    embedder_model: str = Field(
        default="",
        description="sentence-transformers model directory; empty = the packaged all-MiniLM-L6-v2",
    )
    embedder_threads: int = 2
    exact_index_max_vectors: int = 50_000
    top_k: int = 3
    lexical_weight: float = 0.2
    answer_threshold: float = Field(
        default=0.95, description="fused score under which the assistant says it is not sure (calibrated by make eval)"
    )
    min_query_chars: int = 2

    # triage (thresholds chosen on evaluation/data/*_tune.jsonl; `passerelle eval triage`)
    urgency_similarity_threshold: float = Field(
        default=0.925,
        description="similarity score (cosine to the closest urgent question plus twice its lead "
        "over the closest ordinary question) from which a message no pattern caught is urgent",
    )
    myth_high_threshold: float = Field(
        default=0.65, description="myth score from which the reply is the respectful correction"
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

    # storage and privacy
    database_url: str = ""
    pseudonym_key: str = Field(default="", description="HMAC key for phone numbers; empty = var/secrets")
    max_inbound_chars: int = 20_000
    max_processed_chars: int = 1_000

    # mediators
    mediator_target_minutes: int = 15
    working_hours: str = "lun-ven 9h-18h"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    working_start_hour: int = 9
    working_end_hour: int = 18
    timezone: str = "Europe/Paris"

    @property
    def index_dir(self) -> Path:
        """Where the built FAISS index of the shipped content lives."""
        return self.data_dir / "index"

    @property
    def effective_database_url(self) -> str:
        """The configured database, or an SQLite file under `data_dir`."""
        return self.database_url or f"sqlite:///{self.data_dir / 'passerelle.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests build their own `Settings`)."""
    return Settings()
