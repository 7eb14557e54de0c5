"""Reading YAML files with libyaml's C parser when PyYAML has it (about ten times faster than the Python one:
the marts' schema file alone took 1.2 s of every refresh's start-up)."""

from pathlib import Path
from typing import Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
