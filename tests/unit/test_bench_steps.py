"""The benchmark reads the load and transform times from the lines `orchestration.cli run` prints
(their format is asserted in tests/pipeline/test_make_run.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import run_bench  # noqa: E402

OUTPUT = """loading the raw files of 2015-2016 ...
  load raw files 2015-2016                3.0 s
  load raw files 2018                     1.0 s
  rule sets 2015-2022                     0.3 s
  dbt build (models, scores and tests) 2015-2022   11.4 s
  publish 2015-2022                       2.3 s
  transform run 2015-2022, in all        15.8 s
  refresh, in all                        21.8 s
"""


def test_the_bench_reads_each_load_and_transform_run_the_cli_prints() -> None:
    steps = run_bench.step_times(OUTPUT)
    assert steps == {"load raw files 2015-2016": 3.0, "load raw files 2018": 1.0,
                     "transform run 2015-2022, in all": 15.8}
    row = run_bench.Row("full", "consolidated", 1, measured=None, rows_loaded=0, steps=steps)
    assert (row.load_s, row.transform_s) == (4.0, 15.8)
