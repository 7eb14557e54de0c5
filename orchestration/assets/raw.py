"""Raw layer: each fiscal year's files loaded into DuckDB's `raw` schema, one partition a year.

Beside the assets: the sensor that notices added or changed raw files, and the nightly schedule.
"""


import json
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    define_asset_job,
    multi_asset,
    schedule,
    sensor,
)
from dagster_duckdb import DuckDBResource

from orchestration.contract import load_contract
from orchestration.partitions import SINGLE_RUN, all_keys
from orchestration.partitions import fiscal_years as fiscal_year_partitions
from orchestration.raw_files import RawFileReader, fingerprint, fiscal_years, raw_layout
from orchestration.raw_load import YearLoadResult, load_year, record_unplaced
from orchestration.resources import WarehouseResource
from orchestration.settings import warehouse_paths
from orchestration.unchanged_years import kept_load, record_strays, record_year_load, year_digest

CONTRACT = load_contract()

RAW_SPECS = [
    AssetSpec(
        key=["raw", kind.name],
        description=f"{kind.label_zh}: {kind.description} Loaded from data/raw/<year>/**/{kind.name}.csv "
        f"or an XLSX sheet named {kind.name}, with source file and row on every row.",
        group_name="raw",
        kinds={"duckdb"},
        partitions_def=fiscal_year_partitions,
        metadata={"contract_key": ", ".join(kind.key)},
    )
    for kind in CONTRACT.kinds.values()
]


CONTRACT_FINDINGS_SPEC = AssetSpec(
    key=["raw", "contract_findings"],
    description="Every violation of the raw data contract found by the load, with file, row, column, reason and "
    "what was done (file quarantined, previous version kept, or noted): raw._contract_findings.",
    group_name="raw", kinds={"duckdb"}, partitions_def=fiscal_year_partitions,
)

RAW_CHECKS = [
    AssetCheckSpec(
        "contract", asset=["raw", kind.name],
        description=f"Every {kind.name} file of the year meets the raw data contract (expectations/{kind.name}.json, "
        "Great Expectations); a file that does not is quarantined and its previous version kept.",
    )
    for kind in CONTRACT.kinds.values()
]


@multi_asset(specs=[*RAW_SPECS, CONTRACT_FINDINGS_SPEC], check_specs=RAW_CHECKS, name="raw_reports",
             partitions_def=fiscal_year_partitions, can_subset=False, backfill_policy=SINGLE_RUN)
def raw_reports(context: AssetExecutionContext, warehouse: WarehouseResource, duckdb: DuckDBResource):
    """Loads fiscal years' raw files (all kinds, every department) into the `raw` schema, replacing
    whatever those years held before: one year per partition, or a range of years in one run. Files
    that break the contract are quarantined, with every violation in raw._contract_findings; the
    others still load."""
    years = [int(key) for key in context.partition_keys]
    paths = warehouse.paths
    reader = RawFileReader(CONTRACT, paths.raw_dir, paths.staging_dir)
    layout = raw_layout(paths.raw_dir, CONTRACT)
    loaded: dict[int, YearLoadResult] = {}
    # The next year's files are read (Python: decoding, the csv module, regular expressions) while DuckDB
    # loads this year's (native code, outside the GIL): on two cores the two overlap. A year whose files
    # did not change since its last load is kept as it is (orchestration/unchanged_years.py).
    with duckdb.get_connection() as con, ThreadPoolExecutor(1) as reading:
        digests = {year: year_digest(paths.raw_dir, year) for year in years}
        for year in years:
            if (kept := kept_load(con, CONTRACT, year, digests[year])) is not None:
                loaded[year] = kept
                context.log.info(f"{year}: its files are those last loaded, kept as loaded")
        changed = [year for year in years if year not in loaded]
        collected = reading.submit(reader.collect, changed[0]) if changed else None
        for i, year in enumerate(changed):
            files = collected.result()
            if i + 1 < len(changed):
                collected = reading.submit(reader.collect, changed[i + 1])
            loaded[year] = load_year(con, CONTRACT, files, year_folder_present=year in layout.years,
                                     recorded=partial(record_year_load, year=year, digest=digests[year]))
        record_unplaced(con, CONTRACT, layout.strays)
        record_strays(con, layout.strays)
    loads = [loaded[year] for year in years]
    findings = [f for loaded in loads for f in loaded.findings]
    for stray in layout.strays:
        context.log.warning(f"{stray.source_file}: {stray.reason}")
    for finding in findings:
        where = f" row {finding.source_row}" if finding.source_row else ""
        context.log.warning(f"{finding.source_file}{where}: {finding.reason}")
    label = ", ".join(str(y) for y in years)
    yield MaterializeResult(
        asset_key=CONTRACT_FINDINGS_SPEC.key,
        metadata={"fiscal_years": label, "findings": len(findings),
                  "quarantined_files": sum(len(loaded.quarantined) for loaded in loads)},
    )
    for kind in CONTRACT.kinds:
        results = [loaded.kind(kind) for loaded in loads]
        quarantined = sorted({f for r in results for f in r.quarantined})
        kind_findings = [f for f in findings if f.kind == kind]
        yield MaterializeResult(
            asset_key=["raw", kind],
            metadata={"fiscal_years": label, "files": sum(r.file_count for r in results),
                      "rows": sum(r.row_count for r in results), "quarantined_files": len(quarantined)},
        )
        yield AssetCheckResult(
            asset_key=["raw", kind], check_name="contract", passed=not quarantined,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "quarantined_files": ", ".join(quarantined) or "none",
                "violations": len(kind_findings),
                "first_violations": "\n".join(
                    f"{f.source_file} row {f.source_row}: {f.reason}" for f in kind_findings[:10]) or "none",
            },
        )


load_raw_job = define_asset_job(
    "load_raw", selection=[spec.key for spec in [*RAW_SPECS, CONTRACT_FINDINGS_SPEC]],
    description="Load one fiscal year's raw files into DuckDB (or a range of years, in one run).",
)


@sensor(job=load_raw_job, minimum_interval_seconds=60,
        description="Starts a load of every fiscal year whose raw files were added or changed (one run per "
        "year; the transform follows by declarative automation).")
def raw_files_sensor(context: SensorEvaluationContext) -> SensorResult:
    raw_dir = warehouse_paths().raw_dir
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = {str(year): fingerprint(raw_dir, year) for year in fiscal_years(raw_dir)}
    # A year folder that disappeared is a change too: its load removes what it held.
    changed = sorted(year for year in {*current, *seen} if seen.get(year) != current.get(year))
    keys = set(all_keys())
    for year in changed:
        if year not in keys:
            context.log.warning(f"data/raw/{year}: no fiscal-year partition {year} (orchestration/partitions.py)")
    return SensorResult(
        run_requests=[RunRequest(partition_key=year, run_key=f"{year}:{current.get(year, 'gone')}")
                      for year in changed if year in keys],
        cursor=json.dumps(current, sort_keys=True),
    )


@schedule(job=load_raw_job, cron_schedule="0 2 * * *", execution_timezone="Asia/Shanghai",
          description="Nightly refresh at 02:00 Beijing time: reload every fiscal year in one run (single-run "
          "backfill policy); the marts are rebuilt and published by declarative automation.")
def nightly_refresh_schedule(context: ScheduleEvaluationContext):
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    keys = all_keys()
    return RunRequest(run_key=f"nightly-{context.scheduled_execution_time:%Y%m%dT%H%M}",
                      tags={ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]})
