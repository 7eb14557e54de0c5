"""Hard links of a previous publication's files into the next one's folder (published files are never
written after their swap, so a file whose content did not change is shared, not copied)."""

from __future__ import annotations

import os
from pathlib import Path


def hard_link(source: Path, target: Path) -> bool:
    """Link `target` to `source`; False when the file system refused (the caller writes the file instead)."""
    try:
        os.link(source, target)
        return True
    except OSError:
        return False
