"""Which fiscal-year partitions a refresh runs, derived from the partition mappings of the asset graph.

A refresh of some years reloads their raw partitions, then runs every downstream asset for the partitions
Dagster's partition mappings map them to: identity for most reads, TimeWindowPartitionMapping where a
model reads the prior year (dbt meta reads_prior_years) and where a year's scores read a PEFA window
(the score models' inputs: orchestration/assets/transform.py). No year list is computed by hand. An op
runs one partition range, so each op's assets take the union of their years (the dbt models and the
score models, all built by one `dbt build`): a refresh of 2016 is one run of dbt and publication of
2016-2019 (with the bundled rule sets). Every year (a full refresh): one run of it all. The rule sets
(an unpartitioned asset, compiled in a fraction of a second) are compiled at the start of every run.

This replaces the run's `warehouse/refresh_years` tag, the WAREHOUSE_REFRESH_YEARS environment variable
and the raw._refresh_steps table: each asset reads its years from its own partition range.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dagster import AssetKey, Definitions

from orchestration.partitions import all_keys, fiscal_years, span


@dataclass(frozen=True)
class PlannedRun:
    asset_keys: list[AssetKey]
    partition_keys: list[str]  # a contiguous range of fiscal years

    @property
    def label(self) -> str:
        return self.partition_keys[0] if len(self.partition_keys) == 1 else \
            f"{self.partition_keys[0]}-{self.partition_keys[-1]}"


def plan_transform(defs: Definitions, raw_keys: list[str], every_year_for: set[AssetKey] = frozenset(),
                   always: Iterable[AssetKey] = (), within: list[str] | None = None) -> list[PlannedRun]:
    """The runs after raw partitions `raw_keys` were reloaded: for each op downstream of the raw assets (in
    dependency order), the partitions its assets map to from their parents' planned partitions. Assets in
    `every_year_for` (changed dbt models, changed rule sets) take every year. The unpartitioned assets
    `always` (the rule-set tables) run at the start of the first run. `within` (default: every partition)
    bounds "every year" and what the mappings reach: the years that hold data, since a year without any
    has no rows to build."""
    bound = set(within if within is not None else all_keys())
    graph = defs.resolve_asset_graph()
    planned: dict[AssetKey, set[str]] = {}
    raw_op = None
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if not node.is_materializable:
            continue
        if key.path[0] == "raw":
            raw_op = node.assets_def
            planned[key] = set(raw_keys)
    ops = []  # the materializable assets definitions downstream of raw, in dependency order
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if node.is_materializable and node.assets_def is not raw_op and node.assets_def not in ops:
            ops.append(node.assets_def)
    runs: list[PlannedRun] = []
    order = list(graph.toposorted_asset_keys)
    for op in ops:
        inside: dict[AssetKey, set[str]] = {}  # per asset of the op: what its parents' years map to
        for key in sorted(op.keys, key=order.index):
            mine = set(bound) if key in every_year_for else set()
            for parent in graph.get(key).parent_keys:
                parent_years = inside.get(parent, planned.get(parent))
                if not parent_years:
                    continue
                mapping = graph.get_partition_mapping(key, parent)
                subset = fiscal_years.subset_with_partition_keys(sorted(parent_years))
                mine |= set(mapping.get_downstream_partitions_for_partitions(
                    subset, fiscal_years, fiscal_years).get_partition_keys())
            inside[key] = mine & bound
        years = set().union(*inside.values())
        keys = span(years)
        for key in op.keys:
            planned[key] = set(keys)
        if not keys:
            continue
        if runs and runs[-1].partition_keys == keys:
            runs[-1] = PlannedRun(runs[-1].asset_keys + list(op.keys), keys)
        else:
            runs.append(PlannedRun(list(op.keys), keys))
    if runs and always:
        runs[0] = PlannedRun([*always, *runs[0].asset_keys], runs[0].partition_keys)
    return runs
