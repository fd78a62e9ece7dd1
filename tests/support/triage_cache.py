"""Giving a test's own index triage's cache of labelled-message vectors."""

from __future__ import annotations

import shutil
from pathlib import Path

from passerelle.triage.model_store import CACHE_FOLDER


def copy_labelled_vectors(source_index: Path, target_index: Path) -> None:
    """Copy the cache of `source_index` (an index root) into `target_index`, when there is one.

    Training triage on a new snapshot embeds every labelled message unless their vectors are
    cached (~50 s on two cores, against seconds for the fits alone); a test index made by copying
    a snapshot, or built for a small knowledge base, starts without that cache.
    """
    cache = source_index / CACHE_FOLDER
    if cache.is_dir():
        shutil.copytree(cache, target_index / CACHE_FOLDER, dirs_exist_ok=True)
