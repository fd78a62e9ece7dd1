"""Keeping an index in step with its content directory (build only when the content changed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge_base.embedders import get_embedder
from knowledge_base.index import build_index, read_meta, stderr_is_terminal
from knowledge_base.loader import ContentProblem, content_hash, load_entries
from passerelle.settings import Settings


@dataclass
class BuildReport:
    """What `ensure_index` did, for the CLI and the logs."""

    index_root: Path
    rebuilt: bool
    entries: int
    problems: list[ContentProblem]


def index_root_for(content_dir: Path, settings: Settings) -> Path:
    """The shipped content's index lives under `var/`; another directory keeps its own `.index`."""
    if content_dir.resolve() == settings.content_dir.resolve():
        return settings.index_dir
    return content_dir / ".index"


def ensure_index(content_dir: Path, settings: Settings, *, force: bool = False,
                 progress: bool | None = None) -> BuildReport:
    """Build the index of `content_dir` unless the current one already matches its content.

    The shipped content's index is left alone, too, when it holds changes the editors published
    in the content console (newer than the files); `force` rebuilds it from the files anyway.
    """
    entries, problems = load_entries(content_dir)
    live = [e for e in entries if e.is_live]
    root = index_root_for(content_dir, settings)
    embedder = get_embedder(settings.embedder, settings.embedder_model, settings.embedder_threads)
    meta = read_meta(root)
    if (not force and meta is not None and meta.get("content_hash") == content_hash(live)
            and meta.get("embedder") == embedder.name):
        return BuildReport(root, False, len(live), problems)
    if not force and meta is not None and meta.get("source") == "editors" and root == settings.index_dir:
        # What the editors published (the content console) is newer than the files: keep it.
        return BuildReport(root, False, int(str(meta.get("entries", 0))), problems)
    show = stderr_is_terminal() if progress is None else progress
    if show:
        from tqdm import tqdm

        with tqdm(total=len(live), desc="indexing entries", unit="entry") as bar:
            build_index(entries, embedder, root, exact_max=settings.exact_index_max_vectors,
                        progress=bar.update)
    else:
        build_index(entries, embedder, root, exact_max=settings.exact_index_max_vectors)
    return BuildReport(root, True, len(live), problems)
