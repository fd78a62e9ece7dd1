"""Shared fixtures: settings isolated in a temporary folder, and the shipped index built once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge_base.build import ensure_index  # noqa: E402
from knowledge_base.search import Searcher  # noqa: E402
from passerelle.settings import ROOT, Settings  # noqa: E402
from passerelle.triage.service import Triage  # noqa: E402


@pytest.fixture(scope="session")
def shipped_index_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index of the shipped content is built once (and reused while the content is unchanged),
    with triage's learned models trained once too, so that the apps tests start load them instead of
    each training them in its warm-up thread."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("var"), content_dir=ROOT / "knowledge_base" / "content",
                        index_root=ROOT / "var" / "index")
    ensure_index(settings.content_dir, settings, progress=False)
    Triage(settings).prepare()
    return settings


@pytest.fixture(scope="session")
def searcher(shipped_index_settings: Settings) -> Searcher:
    """A searcher over the shipped knowledge base."""
    return Searcher(shipped_index_settings)


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """Fresh settings with their own data folder (database, secrets, index)."""
    return Settings(data_dir=tmp_path / "var")
