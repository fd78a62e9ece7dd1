"""Reading YAML with libyaml's parser when PyYAML was built with it.

`yaml.safe_load` is pure Python: the 322 knowledge-base entries took 1.55 s to parse with it and
0.15 s with libyaml (`CSafeLoader`), for identical results. Every web app parses them at start
(to seed the database and check the index is current), `make run` and `passerelle kb build` too,
so the gap was paid on each start and in every test that starts an app. Both loaders are safe
(plain data, no arbitrary objects) and raise the same `yaml.YAMLError` types with line marks.
"""

from __future__ import annotations

from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, through libyaml when available."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader, C or Python
