"""Runs left in progress by a process that died (a refresh killed with SIGKILL, a machine that lost
power) are marked failed, so that the run queue (max_concurrent_runs: 1) does not wait for them forever.

Which process runs a run:
- runs the command line executes in process carry the tags warehouse/pid and warehouse/host;
- runs Dagster's DefaultRunLauncher starts (the daemon, `dagster dev`) record the run worker's pid in
  their engine event "Started process for run (pid: N)." (metadata `pid`), on the code server's host,
  which with this project's local workspace is this one.

Dagster's own run monitoring (orchestration/dagster.yaml) does not cover this: for STARTED runs it
asks the run launcher whether the worker is alive, and the DefaultRunLauncher does not support that
check (`supports_check_run_worker_health` is False in Dagster 1.13); it only times out runs stuck in
STARTING or CANCELING, which is what it is enabled for.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

RUN_PID_TAG = "warehouse/pid"
RUN_HOST_TAG = "warehouse/host"
IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def process_tags() -> dict[str, str]:
    """Tags naming this process, for the runs it executes in process."""
    return {RUN_PID_TAG: str(os.getpid()), RUN_HOST_TAG: socket.gethostname()}


def _process_state(pid: int) -> tuple[str, float] | None:
    """The state letter and start time (epoch seconds) of a process, from /proc; None without /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
    except (OSError, StopIteration):
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (command) "; the command may hold spaces
    return fields[0], int(boot.split()[1]) + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def process_alive(pid: int, recorded_at: float) -> bool:
    """Whether process `pid`, known to exist at `recorded_at`, still runs: not if it is gone, a zombie,
    or a newer process that reused its pid."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    state = _process_state(pid)
    if state is None:
        return True
    letter, started = state
    return letter not in ("Z", "X") and started <= recorded_at + 1


def _run_process(instance: DagsterInstance, run: DagsterRun, created: float) -> tuple[int, float] | None:
    """The pid of the process that runs `run` on this host, and a time when it was known to run."""
    from dagster._core.launcher import DefaultRunLauncher

    if RUN_PID_TAG in run.tags:
        if run.tags.get(RUN_HOST_TAG) != socket.gethostname():
            return None
        return int(run.tags[RUN_PID_TAG]), created
    if not isinstance(instance.run_launcher, DefaultRunLauncher):
        return None
    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None:
            return int(pid.value), entry.timestamp
    return None


def fail_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed every in-progress run whose process on this host is dead; the messages, one a run."""
    messages = []
    for record in instance.get_run_records(filters=RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        found = _run_process(instance, run, record.create_timestamp.timestamp())
        if found is None:
            continue  # not ours to judge (another host, a STARTING run without a worker yet: run monitoring)
        pid, recorded_at = found
        if pid == os.getpid() or process_alive(pid, recorded_at):
            continue
        message = (f"run {run.run_id} ({run.job_name}) was {run.status.value} but its process "
                   f"(pid {pid} on {socket.gethostname()}) is gone: marked failed")
        instance.report_run_failed(run, message)
        messages.append(message)
    return messages


@sensor(minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Marks failed the runs left in progress by a process that died, so that the run queue "
        "(one run at a time) goes on launching the nightly refresh and the raw-file loads. The command line "
        "sweeps the same way before each refresh.")
def dead_runs_sensor(context: SensorEvaluationContext) -> SkipReason:
    messages = fail_dead_runs(context.instance)
    for message in messages:
        context.log.warning(message)
    return SkipReason("; ".join(messages) or "no run of a dead process")
