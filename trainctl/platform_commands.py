"""The commands that work with the deployed platform: start, logs, status, list, stop (of a training job,
or of a hyperparameter tuning job for a request with a `tuner`).

Human-readable output by default; `--json` prints one JSON document on stdout (progress, if any,
goes to stderr). Errors go to stderr, and exit codes are chosen, as trainctl.reporting says.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from platform_contract import RequestKind
from trainctl.errors import PlatformError, TrainingFailedToStart
from trainctl.input_files import UnreadableInput, read_json
from trainctl.overrides import OverrideError, apply_overrides
from trainctl.platform import Platform
from trainctl.reporting import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    duration,
    invalid_input,
    invocation,
    report_error,
    report_problems,
)
from trainctl.states import JobStatus, TrainingState, WarmPoolState
from trainctl.training import Training
from trainctl.tuning import TuningJobState
from training_request import InvalidTrainingInput

Command = Callable[[argparse.Namespace, TextIO, TextIO, TextIO], int]


def guarded(command: Command) -> Command:
    """Every failure becomes an exit code and trainctl.reporting's error lines, never a traceback."""

    def run(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
        try:
            return command(args, stdin, out, err)
        except InvalidTrainingInput as error:
            report_problems(err, args.input, "invalid training input", error.problems)
            return EXIT_INVALID
        except (UnreadableInput, OverrideError) as error:
            report_error(err, str(error))
            return EXIT_INVALID
        except TrainingFailedToStart as error:
            if error.invalid_input:  # the Prepare Lambda's builder: its cause has one line per problem
                report_problems(err, args.input, "invalid training input", (error.cause or "").splitlines())
                return EXIT_INVALID
            report_error(err, str(error))
            return EXIT_FAILED
        except PlatformError as error:
            report_error(err, str(error))
            return EXIT_FAILED
        except NoCredentialsError:
            report_error(err, "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
            return EXIT_FAILED
        except ClientError as error:
            details = error.response.get("Error", {})
            report_error(err, f"AWS refused {error.operation_name}: {details.get('Code')}: {details.get('Message')}")
            return EXIT_FAILED
        except BotoCoreError as error:
            report_error(err, str(error))
            return EXIT_FAILED

    return run


def _connect(args: argparse.Namespace) -> Platform:
    return Platform.connect(args.stack, args.region)


def describe(state: TrainingState) -> list[str]:
    """The human-readable status: what ran, how it ended, where the results are."""
    lines: list[str] = []
    execution = state.execution
    if execution is not None:
        lines.append(f"execution: {execution.name} {execution.status}")
        if execution.error and state.kind is None:
            lines.append(f"error:     {execution.error}: {execution.cause}")
    if state.job is not None:
        lines.extend(_job_lines(state.job))
    if state.tuning_job is not None:
        lines.extend(_tuning_lines(state.tuning_job))
    # The execution's links, else the tuning job's own (a tuning job given by name).
    links = execution.links if execution is not None and execution.links else {}
    if not links and state.tuning_job is not None:
        links = state.tuning_job.links
    for name, url in links.items():
        lines.append(f"{name + ':':<10} {url}")
    return lines


def _job_lines(job: JobStatus) -> list[str]:
    lines = [f"job:       {job.name} {job.status}" + (f" ({job.secondary_status})" if job.secondary_status else "")]
    if job.failure_reason:
        lines.append(f"reason:    {job.failure_reason}")
    lines.append(f"instances: {job.instances}")
    if job.warm_pool is not None:
        lines.append(f"warm pool: {warm_pool_line(job.warm_pool)}")
    lines.append(
        f"duration:  {duration(job.duration_seconds())} (training {duration(job.training_seconds)}, billable {duration(job.billable_seconds)})"
    )
    for name, value in sorted(job.final_metrics.items()):
        lines.append(f"metric:    {name} = {value}")
    if job.model_artifacts:
        lines.append(f"model:     {job.model_artifacts}")
    return lines


def _tuning_lines(tuning: TuningJobState) -> list[str]:
    """The tuning job: its status, its search, its training jobs by state and its best job so far."""
    lines = [f"tuning:    {tuning.name} {tuning.status}"]
    if tuning.failure_reason:
        lines.append(f"reason:    {tuning.failure_reason}")
    lines.append(
        f"search:    {tuning.strategy}, {tuning.objective_type} {tuning.objective_metric}, "
        f"{tuning.max_jobs if tuning.max_jobs is not None else 'no limit of'} training jobs, "
        f"{tuning.max_parallel_jobs} at a time"
    )
    if tuning.instance_type:
        lines.append(f"instances: {tuning.instance_count} x {tuning.instance_type} per training job")
    lines.append(f"jobs:      {tuning.counts}")
    best = tuning.best
    if best is None:
        lines.append("best:      none yet")
    else:
        lines.append(f"best:      {best.name} {best.objective}".rstrip())
        lines.extend(f"tuned:     {name} = {value}" for name, value in sorted(best.tuned_hyperparameters.items()))
        if tuning.best_model_artifacts:
            lines.append(f"model:     {tuning.best_model_artifacts}")
    lines.append(f"duration:  {duration(tuning.duration_seconds())}")
    return lines


def warm_pool_line(pool: WarmPoolState) -> str:
    """`Available (retained 0m42s)`, `Reused by <job> (retained 0m05s)`, `InUse`."""
    status = f"Reused by {pool.reused_by}" if pool.reused_by else pool.status
    return status + (f" (retained {duration(pool.retained_seconds)})" if pool.retained_seconds is not None else "")


def _leave_or_stop(platform: Platform, reference: str, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    """Ctrl-C while waiting: ask (on a terminal) whether to stop the training; else leave it running."""
    if stdin.isatty():
        print(f"\nStop the training ({reference})? [y/N] ", end="", file=out, flush=True)
        try:
            answer = stdin.readline()
        except KeyboardInterrupt:
            answer = ""
        if answer.strip().lower() in ("y", "yes"):
            platform.stop(reference)
            print(f"stopping {reference}", file=err)
            return EXIT_FAILED
    print(f"\nleft running; stop it with: {invocation()} stop {reference}", file=err)
    return EXIT_INTERRUPTED


@guarded
def run_start(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    if args.input == "-" and stdin.isatty():
        raise UnreadableInput("no input: give INPUT.json, or pipe the JSON into `start -`")
    execution_input = read_json(args.input, stdin)
    if args.overrides:
        execution_input = apply_overrides(execution_input, args.overrides)  # type: ignore[arg-type]
    platform = _connect(args)
    # Script mode's local paths are from the input file's directory (from standard input: the current one).
    code_dir = "." if args.input == "-" else os.path.dirname(args.input) or "."
    try:
        training = platform.start(execution_input, code_dir=code_dir)  # type: ignore[arg-type]
    except InvalidTrainingInput as error:
        report_problems(err, args.input, invalid_input(execution_input), error.problems)
        return EXIT_INVALID
    progress = err if args.json else out
    if training.code_uri:
        print(f"code:      {training.code_uri}", file=progress)
    print(f"execution: {training.execution_arn}", file=progress)
    try:
        job_name = training.wait_for_job()
        print(f"{'tuning:' if training.tuning else 'job:':<10} {job_name}", file=progress)
        if not (args.wait or args.follow):
            _print_started(training, args.json, out)
            return EXIT_OK
        for event in training.events(logs=args.follow):
            print(event, file=progress, flush=True)
        # Inside the try: the final read may wait for the workflow to record the end.
        state = training.final_state()
    except KeyboardInterrupt:
        return _leave_or_stop(platform, training.execution_arn, stdin, out, err)
    if args.json:
        print(json.dumps(state.to_json(), indent=2), file=out)
    else:
        print("\n".join(describe(state)), file=out)
    return EXIT_OK if state.succeeded else EXIT_FAILED


def _print_started(training: Training, as_json: bool, out: TextIO) -> None:
    """What `start` prints once the job exists, when it does not wait for the end."""
    job_name, tuning = training.job_name, training.tuning
    if as_json:
        started = {
            "execution_arn": training.execution_arn,
            "kind": (RequestKind.TUNING if tuning else RequestKind.TRAINING).value,
            "job_name": None if tuning else job_name,
            "tuning_job_name": job_name if tuning else None,
        }
        if training.code_uri:
            started["code_uri"] = training.code_uri
        print(json.dumps(started), file=out)
    elif tuning:
        print(f"follow it with: {invocation()} status {job_name}", file=out)
    else:
        print(f"follow it with: {invocation()} logs {job_name} --follow", file=out)


@guarded
def run_logs(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    platform = _connect(args)
    try:
        for line in platform.logs(args.job, follow=args.follow):
            print(
                json.dumps({"instance": line.instance, "timestamp": line.timestamp, "message": line.message})
                if args.json
                else line,
                file=out,
                flush=True,
            )
    except KeyboardInterrupt:
        return _leave_or_stop(platform, args.job, stdin, out, err)
    return EXIT_OK if not args.follow or platform.job(args.job).succeeded else EXIT_FAILED


@guarded
def run_status(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    state = _connect(args).status(args.reference)
    print(json.dumps(state.to_json(), indent=2) if args.json else "\n".join(describe(state)), file=out)
    return EXIT_OK


@guarded
def run_list(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    states = _connect(args).list(limit=args.limit)
    ignored = 0 if args.all else sum(state.ignored for state in states)
    states = [state for state in states if args.all or not state.ignored]
    if args.json:
        print(json.dumps([state.to_json() for state in states], indent=2), file=out)
        return EXIT_OK
    rows: list[tuple[str, ...]] = [
        ("STARTED", "EXECUTION", "STATUS", "KIND", "JOB", "JOB STATUS", "INSTANCES", "DURATION")
    ]
    rows.extend(_list_row(state) for state in states)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(), file=out)
    if ignored:
        print(f"({ignored} ignored event{'s' if ignored > 1 else ''} not shown; --all to show)", file=out)
    return EXIT_OK


def _list_row(state: TrainingState) -> tuple[str, ...]:
    """One row of `list`: the execution, then its job (a tuning job's instances are each training job's)."""
    execution = state.execution
    job: JobStatus | TuningJobState | None = state.tuning_job or state.job
    return (
        execution.started.strftime("%Y-%m-%d %H:%M") if execution and execution.started else "-",
        execution.name if execution else "-",
        execution.status if execution else "-",
        state.kind or "-",
        job.name if job else "-",
        job.status if job else "-",
        _instances(job),
        duration(job.duration_seconds()) if job else "-",
    )


def _instances(job: JobStatus | TuningJobState | None) -> str:
    if isinstance(job, JobStatus):
        return job.instances
    return f"{job.instance_count} x {job.instance_type}" if job and job.instance_type else "-"


@guarded
def run_stop(args: argparse.Namespace, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    state = _connect(args).stop(args.reference)
    if args.json:
        print(json.dumps(state.to_json(), indent=2), file=out)
    else:
        what = [
            f"execution {state.execution.name}" if state.execution else "",
            f"job {state.job.name}" if state.job else "",
            f"tuning job {state.tuning_job.name}" if state.tuning_job else "",
        ]
        print(f"stop requested: {' and '.join(part for part in what if part)}", file=out)
    return EXIT_OK
