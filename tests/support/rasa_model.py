"""One trained Rasa model for every test that starts the stack.

Training takes minutes on two cores, and each stack test keeps its own data folder (database,
tracker store, logs). The model depends only on the training inputs, so it is trained once under
var/test-rasa/ and copied with its input stamp into each folder, where `train_if_needed` finds it
up to date (and still retrains there if that folder's inputs differ, e.g. another content folder).
"""

from __future__ import annotations

import shutil

from passerelle.settings import ROOT, Settings
from passerelle.stack import Paths, train_if_needed

CACHE = ROOT / "var" / "test-rasa"


def provide_rasa_model(settings: Settings) -> None:
    """Make the Rasa model of `settings`' data folder current, training at most once per inputs."""
    cache = Settings(data_dir=CACHE, content_dir=settings.content_dir)
    train_if_needed(cache)
    source, target = Paths(cache), Paths(settings)
    target.model.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source.model, target.model)
    shutil.copy2(source.model_stamp, target.model_stamp)
    train_if_needed(settings)
