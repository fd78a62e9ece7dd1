"""Triage fixtures: one Triage over the shipped knowledge base for the whole session.

The index in var/ is reused when one was built (`passerelle kb build`), because building takes
minutes; otherwise the shipped content is indexed once into a temporary folder.
"""

from __future__ import annotations

import pytest

from knowledge_base.build import ensure_index
from knowledge_base.index import current_snapshot_name
from knowledge_base.search import Searcher
from passerelle.settings import ROOT, Settings
from passerelle.triage import Triage


@pytest.fixture(scope="session")
def triage_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a built index of the shipped content."""
    settings = Settings(content_dir=ROOT / "knowledge_base" / "content")
    if current_snapshot_name(settings.index_dir) is None:
        settings = Settings(data_dir=tmp_path_factory.mktemp("var"), content_dir=settings.content_dir)
        ensure_index(settings.content_dir, settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def triage(triage_settings: Settings) -> Triage:
    """The triage the gateway and the actions use, over the shipped knowledge base."""
    return Triage(triage_settings, Searcher(triage_settings))
