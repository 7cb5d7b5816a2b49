"""The emulated SageMaker training job: a lifecycle instead of moto's instant `Completed`.

A job created here is `InProgress` and walks through the secondary statuses SageMaker reports
(Starting, Downloading, Training, Uploading), then ends `Completed` after a configurable time,
having written a model artifact to `<S3OutputPath>/<job>/output/model.tar.gz` and a few log lines
with metric values to CloudWatch Logs (TRAINING_JOB_LOG_GROUP, one stream per instance,
`<job>/algo-N-<ts>` for N = 1..InstanceCount), written one by one over the Training phase.

How a job ends is chosen per job, by the caller, through hyperparameters the emulator reads:

- `emulator_outcome`: `completed` (default), `failed` (AlgorithmError), `capacity`
  (CapacityError while Starting, the error SageMaker gives when it has no instance to offer) or
  `stopped` (the job is stopped while Training, as if someone called StopTrainingJob).
  A comma-separated list gives the outcomes of successive jobs created with the same
  hyperparameters (the last one repeats): `capacity,completed` fails the first job for capacity
  and lets the retry, which has a fresh job name but the same hyperparameters, complete.
  Add any unique hyperparameter to start a new sequence.
- `emulator_seconds`: how long the job runs (default: `EMULATOR_TRAINING_SECONDS`, else 3).

StopTrainingJob works on any InProgress job (Stopping, then Stopped). Like SageMaker, the job sends a
"SageMaker Training Job State Change" event (source aws.sagemaker, the DescribeTrainingJob output as
detail) to the default event bus when it starts and when it ends. A second job with the same
name is refused with ResourceInUse, like SageMaker.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tarfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from platform_contract import TRAINING_JOB_LOG_GROUP, TrainingJobStatus

OUTCOME_HYPERPARAMETER = "emulator_outcome"
SECONDS_HYPERPARAMETER = "emulator_seconds"
TRAINING_SECONDS_VARIABLE = "EMULATOR_TRAINING_SECONDS"
DEFAULT_TRAINING_SECONDS = 3.0

CAPACITY_FAILURE_REASON = (
    "CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type."
)
ALGORITHM_FAILURE_REASON = (
    'AlgorithmError: ExecuteUserScriptError: Command "/usr/bin/python3 train.py" '
    "exited with code 1 (failure requested with hyperparameter emulator_outcome=failed)"
)

# (secondary status, its message, share of the job's run time spent in it)
_PHASES: tuple[tuple[str, str, float], ...] = (
    ("Starting", "Preparing the instances for training", 0.25),
    ("Downloading", "Downloading input data", 0.15),
    ("Training", "Training image download completed. Training in progress.", 0.45),
    ("Uploading", "Uploading generated training model", 0.15),
)
_IN_PROGRESS = TrainingJobStatus.IN_PROGRESS.value
_STOPPING = TrainingJobStatus.STOPPING.value
_COMPLETED = TrainingJobStatus.COMPLETED.value
_FAILED = TrainingJobStatus.FAILED.value
_STOPPED = TrainingJobStatus.STOPPED.value
# The message of the secondary status a job ends in, which is named as its final status.
_TERMINAL_MESSAGES = {
    _COMPLETED: "Training job completed",
    _FAILED: "Training job failed",
    _STOPPED: "The training job was stopped",
}


class Outcome(str, Enum):
    COMPLETED = "completed"
    FAILED = "failed"
    CAPACITY = "capacity"
    STOPPED = "stopped"


class TrainingJobError(Exception):
    """An error SageMaker would answer with; `code` is its error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SideEffects:
    """Where a job leaves its traces: model artifacts in S3, lines in CloudWatch Logs."""

    put_object: Callable[[str, str, bytes], None]  # bucket, key, body
    put_log_lines: Callable[[str, str, list[str]], None]  # group, stream, messages
    put_state_change: Callable[[dict[str, Any]], None]  # "SageMaker Training Job State Change" detail


def _now() -> datetime:
    return datetime.now(UTC)


def _outcome_sequence(hyperparameters: Mapping[str, str]) -> list[Outcome]:
    raw = hyperparameters.get(OUTCOME_HYPERPARAMETER, Outcome.COMPLETED.value)
    try:
        return [Outcome(part.strip().lower()) for part in raw.split(",") if part.strip()] or [Outcome.COMPLETED]
    except ValueError:
        allowed = ", ".join(o.value for o in Outcome)
        raise TrainingJobError(
            "ValidationException",
            f"HyperParameters.{OUTCOME_HYPERPARAMETER}: the emulator knows {allowed} (got {raw!r})",
        ) from None


def _seconds(hyperparameters: Mapping[str, str]) -> float:
    raw = hyperparameters.get(SECONDS_HYPERPARAMETER) or os.environ.get(TRAINING_SECONDS_VARIABLE)
    return float(raw) if raw else DEFAULT_TRAINING_SECONDS


@dataclass
class TrainingJob:
    """One job: the request as sent, plus the state SageMaker reports about it."""

    request: dict[str, Any]
    arn: str
    outcome: Outcome
    seconds: float
    status: str = _IN_PROGRESS
    secondary_status: str = "Starting"
    failure_reason: str | None = None
    creation_time: datetime = field(default_factory=_now)
    last_modified_time: datetime = field(default_factory=_now)
    training_start_time: datetime | None = None
    training_end_time: datetime | None = None
    transitions: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return str(self.request["TrainingJobName"])

    @property
    def model_artifact(self) -> str:
        base = str(self.request["OutputDataConfig"]["S3OutputPath"]).rstrip("/")
        return f"{base}/{self.name}/output/model.tar.gz"

    # moto's list_training_jobs, search and tagging read these attributes.
    @property
    def training_job_name(self) -> str:
        return self.name

    @property
    def training_job_status(self) -> str:
        return self.status

    @property
    def tags(self) -> list[dict[str, str]]:
        return self.request.setdefault("Tags", [])

    @tags.setter
    def tags(self, value: list[dict[str, str]]) -> None:
        self.request["Tags"] = value

    def enter(self, secondary_status: str, message: str) -> None:
        with self.lock:
            now = _now()
            if self.transitions and "EndTime" not in self.transitions[-1]:
                self.transitions[-1]["EndTime"] = now
            entry: dict[str, Any] = {"Status": secondary_status, "StartTime": now, "StatusMessage": message}
            if secondary_status in _TERMINAL_MESSAGES:
                entry["EndTime"] = now
            self.transitions.append(entry)
            self.secondary_status = secondary_status
            self.last_modified_time = now
            if secondary_status == "Training":
                self.training_start_time = now

    def finish(self, status: str, failure_reason: str | None = None) -> None:
        self.enter(status, _TERMINAL_MESSAGES[status])
        with self.lock:
            self.status = status
            self.failure_reason = failure_reason
            self.training_end_time = self.last_modified_time

    def describe(self) -> dict[str, Any]:
        """The DescribeTrainingJob response: the request's fields plus the job's state."""
        with self.lock:
            result = {k: v for k, v in self.request.items() if k != "Tags"}
            result.update(
                TrainingJobArn=self.arn,
                TrainingJobStatus=self.status,
                SecondaryStatus=self.secondary_status,
                CreationTime=self.creation_time,
                LastModifiedTime=self.last_modified_time,
                SecondaryStatusTransitions=[dict(t) for t in self.transitions],
            )
            if self.status in (_COMPLETED, _STOPPED):
                result["ModelArtifacts"] = {"S3ModelArtifacts": self.model_artifact}
            if self.failure_reason:
                result["FailureReason"] = self.failure_reason
            if self.training_start_time:
                result["TrainingStartTime"] = self.training_start_time
            if self.training_end_time:
                result["TrainingEndTime"] = self.training_end_time
                started = self.training_start_time or self.creation_time
                seconds = max(1, round((self.training_end_time - started).total_seconds()))
                result["TrainingTimeInSeconds"] = seconds
                result["BillableTimeInSeconds"] = seconds
            if self.metrics:
                result["FinalMetricDataList"] = list(self.metrics)
            return result


class TrainingJobRegistry:
    """The training jobs of one account and region, and the threads that run them."""

    def __init__(self, arn_prefix: str, side_effects: Callable[[], SideEffects]) -> None:
        self._arn_prefix = arn_prefix  # arn:aws:sagemaker:<region>:<account>:training-job/
        self._side_effects = side_effects
        self._lock = threading.Lock()
        self.jobs: dict[str, TrainingJob] = {}
        self._outcome_counts: dict[str, int] = {}

    def create(self, request: dict[str, Any]) -> TrainingJob:
        name = str(request["TrainingJobName"])
        hyperparameters = request.get("HyperParameters") or {}
        sequence = _outcome_sequence(hyperparameters)
        seconds = _seconds(hyperparameters)
        sequence_key = json.dumps(hyperparameters, sort_keys=True)
        with self._lock:
            if name in self.jobs:
                raise TrainingJobError(
                    "ResourceInUse",
                    "Training job names must be unique within an AWS account and region, and a "
                    f"training job with this name already exists ({self._arn_prefix}{name.lower()})",
                )
            attempt = self._outcome_counts.get(sequence_key, 0)
            self._outcome_counts[sequence_key] = attempt + 1
            job = TrainingJob(
                request=request,
                arn=f"{self._arn_prefix}{name.lower()}",
                outcome=sequence[min(attempt, len(sequence) - 1)],
                seconds=seconds,
            )
            job.enter(*_PHASES[0][:2])
            self.jobs[name] = job
        threading.Thread(target=self._run, args=(job,), name=f"training-{name}", daemon=True).start()
        return job

    def get(self, name: str) -> TrainingJob:
        job = self.jobs.get(name)
        if job is None:
            raise TrainingJobError(
                "ValidationException", f"Requested resource not found: {self._arn_prefix}{name.lower()}"
            )
        return job

    def stop(self, name: str) -> None:
        job = self.get(name)
        with job.lock:
            if job.status != _IN_PROGRESS:
                raise TrainingJobError(
                    "ValidationException",
                    f"The request was rejected because the training job is in status {job.status}.",
                )
            job.status = _STOPPING
        job.enter(_STOPPING, "Stopping the training job")
        job.stop_requested.set()

    def _run(self, job: TrainingJob) -> None:
        effects = self._side_effects()
        _best_effort(effects.put_state_change, job.describe())
        try:
            self._advance(job, effects)
        finally:
            _best_effort(effects.put_state_change, job.describe())

    def _advance(self, job: TrainingJob, effects: SideEffects) -> None:  # noqa: C901 - being rewritten
        instances = int(job.request.get("ResourceConfig", {}).get("InstanceCount") or 1)
        started = int(time.time())
        streams = [f"{job.name}/algo-{number}-{started}" for number in range(1, instances + 1)]
        for index, (phase, message, share) in enumerate(_PHASES):
            if index:
                if job.status == _STOPPING:
                    break
                job.enter(phase, message)
            if job.outcome is Outcome.CAPACITY and phase == "Starting":
                if not job.stop_requested.wait(job.seconds * share):
                    job.finish(_FAILED, CAPACITY_FAILURE_REASON)
                    return
                break
            if phase == "Training":
                if self._train(job, effects, streams, job.seconds * share):
                    break
                if job.outcome is Outcome.FAILED:
                    job.finish(_FAILED, ALGORITHM_FAILURE_REASON)
                    _log_on_every_instance(effects, streams, ALGORITHM_FAILURE_REASON)
                    return
            elif job.stop_requested.wait(job.seconds * share):
                break
        # SageMaker uploads what the algorithm saved also when a job is stopped.
        _best_effort(effects.put_object, *_split_s3_uri(job.model_artifact), _model_archive(job))
        if job.status == _STOPPING:
            job.finish(_STOPPED)
            return
        job.finish(_COMPLETED)
        _log_on_every_instance(effects, streams, f"Training seconds: {job.seconds:.0f}")

    def _train(self, job: TrainingJob, effects: SideEffects, streams: list[str], seconds: float) -> bool:
        """The Training phase: its log lines spread over `seconds`, each written on every instance's
        stream as it comes (a reader following the logs sees them while the job runs). True if the
        job was stopped meanwhile; the `stopped` outcome stops it halfway."""
        lines = _training_log(job)
        pause = seconds / len(lines)
        for position, line in enumerate(lines):
            _log_on_every_instance(effects, streams, line)
            if job.outcome is Outcome.STOPPED and position == len(lines) // 2 and job.status == _IN_PROGRESS:
                with contextlib.suppress(TrainingJobError):  # stopped by a caller meanwhile
                    self.stop(job.name)
            if job.stop_requested.wait(pause):
                return True
        return False


def _log_on_every_instance(effects: SideEffects, streams: list[str], line: str) -> None:
    for stream in streams:
        _best_effort(effects.put_log_lines, TRAINING_JOB_LOG_GROUP, stream, [line])


def _training_log(job: TrainingJob) -> list[str]:
    """Log lines with a value for each metric the job defines; records them as final metrics."""
    definitions = job.request.get("AlgorithmSpecification", {}).get("MetricDefinitions") or []
    names = [str(d["Name"]) for d in definitions] or ["train:loss"]
    now = _now()
    lines = [f"Starting training job {job.name} on {job.request.get('ResourceConfig', {}).get('InstanceType')}"]
    with job.lock:
        job.metrics = []
        for position, name in enumerate(names):
            value = round(0.5 / (position + 1), 4)
            job.metrics.append({"MetricName": name, "Value": value, "Timestamp": now})
            lines.append(f"#metrics {name}={value};")
    lines.append("Training complete, saving model to /opt/ml/model")
    return lines


def _model_archive(job: TrainingJob) -> bytes:
    content = json.dumps({"training_job": job.name, "hyperparameters": job.request.get("HyperParameters", {})})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = content.encode()
        info = tarfile.TarInfo("model.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _best_effort(action: Callable[..., None], *args: Any) -> None:
    # A missing output bucket must not stop the lifecycle: SageMaker would fail the job at upload,
    # but a test that only looks at statuses should not depend on the bucket existing.
    try:
        action(*args)
    except Exception as error:
        print(f"emulator: training job side effect {action.__name__} failed: {error}", flush=True)


__all__ = [
    "Outcome",
    "SideEffects",
    "TrainingJob",
    "TrainingJobError",
    "TrainingJobRegistry",
]
