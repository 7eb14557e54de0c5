"""The code stays ruff-clean (configuration in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

from orchestration.contract import PROJECT_ROOT


def test_ruff_clean():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "orchestration", "tools", "tests", "scripts", "bench"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
