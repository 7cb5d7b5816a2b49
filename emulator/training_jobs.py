"""The emulated SageMaker training job: a lifecycle instead of moto's instant `Completed`.

A job created here is `InProgress` and walks through the secondary statuses SageMaker reports
(Starting, Downloading, Training, Uploading), then ends `Completed` after a configurable time,
having written a model artifact to `<S3OutputPath>/<job>/output/model.tar.gz`. Its instances are up
from Downloading on: that is its TrainingStartTime, from which TrainingTimeInSeconds and
BillableTimeInSeconds count to its TrainingEndTime (a job that never got instances has neither; if it
failed for capacity, it has no TrainingEndTime either).

During Training the emulated container prints its lines to CloudWatch Logs (TRAINING_JOB_LOG_GROUP,
one stream per host, `<job>/algo-N-<ts>` for N = 1..InstanceCount, or over all the InstanceGroups'
instances of a heterogeneous cluster), one block at a time: a first line naming the host's instance
type, a report per epoch with a line for each of the job's MetricDefinitions (emulator/training_metrics.py),
a last line. As each block is printed, SageMaker's side applies every MetricDefinitions regex to
every line, publishes the values to CloudWatch (TRAINING_JOB_METRICS_NAMESPACE, dimension
TrainingJobName, the line's timestamp) and keeps the last value of each metric for the job's
FinalMetricDataList, which DescribeTrainingJob shows once the job has ended.

How a job ends is chosen per job, by the caller, through hyperparameters the emulator reads:

- `emulator_outcome`: `completed` (default), `failed` (AlgorithmError), `capacity`
  (CapacityError while Starting, the error SageMaker gives when it has no instance to offer) or
  `stopped` (the job is stopped while Training, as if someone called StopTrainingJob).
  A comma-separated list gives the outcomes of successive jobs created with the same
  hyperparameters (the last one repeats): `capacity,completed` fails the first job for capacity
  and lets the retry, which has a fresh job name but the same hyperparameters, complete.
  Add any unique hyperparameter to start a new sequence.
- `emulator_seconds`: how long the job runs (default: `EMULATOR_TRAINING_SECONDS`, else 3).
- `emulator_optimum` (and `epochs`): the metric values, see emulator/training_metrics.py.

A job with a KeepAlivePeriodInSeconds keeps its instances in a warm pool that a matching job created
meanwhile reuses, starting faster (emulator/warm_pools.py).

StopTrainingJob works on any InProgress job (Stopping, then Stopped). Like SageMaker, the job sends a
"SageMaker Training Job State Change" event (source aws.sagemaker, the DescribeTrainingJob output as
detail) to the default event bus when it starts and when it ends. A second job with the same
name is refused with ResourceInUse, like SageMaker.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tarfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from emulator import training_metrics, warm_pools
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
_INSTANCES_UP = "Downloading"  # the first secondary status on running instances: TrainingStartTime
# A job on a warm pool's instances skips most of Starting: the share of it left.
WARM_START_SHARE = 0.1
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
# The RuleEvaluationStatus of a Debugger or profiler rule once its job has ended: the emulated
# container writes no tensors, so a rule finds no issue (or is stopped with its job).
_RULE_STATUS_AT_END = {_COMPLETED: "NoIssuesFound", _FAILED: "NoIssuesFound", _STOPPED: "Stopped"}
_RULE_KINDS = (
    ("DebugRuleConfigurations", "DebugRuleEvaluationStatuses"),
    ("ProfilerRuleConfigurations", "ProfilerRuleEvaluationStatuses"),
)


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
class MetricPoint:
    """One value SageMaker extracted from a printed line, with the line's timestamp."""

    name: str
    value: float
    timestamp: datetime


@dataclass(frozen=True)
class SideEffects:
    """Where a job leaves its traces: model artifacts in S3, lines in CloudWatch Logs, metric values in
    CloudWatch, state changes on the default event bus."""

    put_object: Callable[[str, str, bytes], None]  # bucket, key, body
    put_log_lines: Callable[[str, str, list[tuple[datetime, str]]], None]  # group, stream, (timestamp, message)
    put_metric_data: Callable[[str, list[MetricPoint]], None]  # job name, values
    put_state_change: Callable[[dict[str, Any]], None]  # "SageMaker Training Job State Change" detail
    # What SageMaker does with the job's role as the job enters a secondary status, then its final status
    # (assume the role, pull the images, read the channels, write checkpoints...).
    enter_phase: Callable[[str], None] = lambda status: None


def _now() -> datetime:
    """Now, to the millisecond: the precision of a CloudWatch Logs event, so that a line and the metric
    values taken from it carry the same timestamp."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def container_hyperparameters(request: Mapping[str, Any]) -> dict[str, str]:
    """The hyperparameters as the container reads them. In script mode (a `sagemaker_program`) the SDK
    JSON-encodes every value and the training toolkit in the container decodes it: '"failed"' is failed."""
    hyperparameters = {str(k): str(v) for k, v in (request.get("HyperParameters") or {}).items()}
    if "sagemaker_program" not in hyperparameters:
        return hyperparameters
    return {key: _json_decoded(value) for key, value in hyperparameters.items()}


def _json_decoded(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, str) else json.dumps(value)


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


def _check_optimum(hyperparameters: Mapping[str, str]) -> None:
    try:
        training_metrics.optimum_of(hyperparameters)
    except training_metrics.InvalidOptimum as error:
        raise TrainingJobError(
            "ValidationException", f"HyperParameters.{training_metrics.OPTIMUM_HYPERPARAMETER}: {error}"
        ) from None


def described_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request's fields as DescribeTrainingJob returns them: without Tags (ListTags has them), and
    with the values SageMaker fills in for what the request left out."""
    described = copy.deepcopy({k: v for k, v in request.items() if k != "Tags"})
    algorithm = described.setdefault("AlgorithmSpecification", {})
    algorithm.setdefault("MetricDefinitions", [])
    algorithm.setdefault("EnableSageMakerMetricsTimeSeries", False)
    output = described.setdefault("OutputDataConfig", {})
    output.setdefault("KmsKeyId", "")  # the SDK's Estimator.attach reads it unchecked
    output.setdefault("CompressionType", "GZIP")
    for channel in described.get("InputDataConfig") or []:
        channel.setdefault("CompressionType", "None")
        channel.setdefault("RecordWrapperType", "None")
        s3_source = channel.get("DataSource", {}).get("S3DataSource")
        if s3_source is not None:
            s3_source.setdefault("S3DataDistributionType", "FullyReplicated")
    for flag in ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining"):
        described.setdefault(flag, False)
    profiler = described.get("ProfilerConfig")
    profiling = profiler is not None and not profiler.get("DisableProfiler", False)
    if profiler is not None and profiling:
        profiler.setdefault("ProfilingIntervalInMilliseconds", 500)
    described["ProfilingStatus"] = "Enabled" if profiling else "Disabled"
    return described


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
    last_metrics: dict[str, MetricPoint] = field(default_factory=dict)
    stop_requested: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    warm_pool: warm_pools.WarmPool | None = None  # see emulator/warm_pools.py

    def __post_init__(self) -> None:
        self._described_request = described_request(self.request)

    @property
    def name(self) -> str:
        return str(self.request["TrainingJobName"])

    @property
    def hyperparameters(self) -> dict[str, str]:
        return container_hyperparameters(self.request)

    @property
    def metric_definitions(self) -> list[training_metrics.MetricDefinition]:
        return training_metrics.MetricDefinition.all_of(self.request.get("AlgorithmSpecification", {}))

    @property
    def on_warm_pool(self) -> bool:
        """The job runs on the instances of another job's warm pool."""
        return self.warm_pool is not None and self.warm_pool.reused

    @property
    def model_artifact(self) -> str:
        base = str(self.request["OutputDataConfig"]["S3OutputPath"]).rstrip("/")
        return f"{base}/{self.name}/output/model.tar.gz"

    # moto's search and tagging read these attributes.
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
            if secondary_status == _INSTANCES_UP:
                self.training_start_time = now

    def finish(self, status: str, failure_reason: str | None = None) -> None:
        self.enter(status, _TERMINAL_MESSAGES[status])
        with self.lock:
            self.status = status
            self.failure_reason = failure_reason
            # SageMaker's TrainingEndTime: for a completed or stopped job, once it is over; for a failed
            # one, when the failure is detected on the instances (none for a job that never had any).
            if status != _FAILED or self.training_start_time is not None:
                self.training_end_time = self.last_modified_time

    def record_metrics(self, points: list[MetricPoint]) -> None:
        with self.lock:
            for point in points:
                self.last_metrics[point.name] = point

    def describe(self) -> dict[str, Any]:
        """The DescribeTrainingJob response: the request's fields plus the job's state."""
        with self.lock:
            result = copy.deepcopy(self._described_request)
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
            result.update(self._training_times())
            if self.status in _TERMINAL_MESSAGES and self.last_metrics:
                result["FinalMetricDataList"] = self._final_metrics()
            result.update(self._rule_statuses())
            pool = self.warm_pool_status()
            if pool is not None:
                result["WarmPoolStatus"] = pool
            return result

    def warm_pool_status(self) -> dict[str, Any] | None:
        """DescribeTrainingJob's WarmPoolStatus now (emulator/warm_pools.py), or None when it has none."""
        return self.warm_pool.describe(_now()) if self.warm_pool is not None else None

    def _training_times(self) -> dict[str, Any]:
        times: dict[str, Any] = {}
        if self.training_start_time is not None:
            times["TrainingStartTime"] = self.training_start_time
        if self.training_end_time is not None:
            times["TrainingEndTime"] = self.training_end_time
        if self.training_start_time is not None and self.training_end_time is not None:
            seconds = round((self.training_end_time - self.training_start_time).total_seconds())
            times.update(TrainingTimeInSeconds=seconds, BillableTimeInSeconds=seconds)
        return times

    def _final_metrics(self) -> list[dict[str, Any]]:
        """The last value of each metric, in the order of the job's MetricDefinitions."""
        names = [d.name for d in self.metric_definitions]
        points = sorted(
            self.last_metrics.values(), key=lambda p: names.index(p.name) if p.name in names else len(names)
        )
        return [{"MetricName": p.name, "Value": p.value, "Timestamp": p.timestamp} for p in points]

    def _rule_statuses(self) -> dict[str, list[dict[str, Any]]]:
        """DebugRuleEvaluationStatuses and ProfilerRuleEvaluationStatuses for the rules the job runs:
        InProgress while it runs, then their status at its end."""
        ended = self.status in _TERMINAL_MESSAGES
        status = _RULE_STATUS_AT_END[self.status] if ended else "InProgress"
        when = self.last_modified_time if ended else self.creation_time
        statuses: dict[str, list[dict[str, Any]]] = {}
        for configurations, evaluations in _RULE_KINDS:
            rules = self.request.get(configurations) or []
            if rules:
                statuses[evaluations] = [
                    {
                        "RuleConfigurationName": rule["RuleConfigurationName"],
                        "RuleEvaluationStatus": status,
                        "LastModifiedTime": when,
                    }
                    for rule in rules
                ]
        return statuses


class TrainingJobRegistry:
    """The training jobs of one account and region, and the threads that run them."""

    def __init__(self, arn_prefix: str, side_effects: Callable[[TrainingJob], SideEffects]) -> None:
        self._arn_prefix = arn_prefix  # arn:aws:sagemaker:<region>:<account>:training-job/
        self._side_effects = side_effects
        self._lock = threading.Lock()
        self.jobs: dict[str, TrainingJob] = {}
        self._outcome_counts: dict[str, int] = {}

    def create(self, request: dict[str, Any]) -> TrainingJob:
        name = str(request["TrainingJobName"])
        hyperparameters = container_hyperparameters(request)
        sequence = _outcome_sequence(hyperparameters)
        _check_optimum(hyperparameters)
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
            job.warm_pool = self._warm_pool_for(job)
            job.enter(*_PHASES[0][:2])
            self.jobs[name] = job
        threading.Thread(target=self._run, args=(job,), name=f"training-{name}", daemon=True).start()
        return job

    def _warm_pool_for(self, job: TrainingJob) -> warm_pools.WarmPool | None:
        """A matching Available pool taken over, else the job's own if it asks for one. A job the caller
        fails for capacity wants new instances: it takes no pool."""
        now = _now()
        if job.outcome is Outcome.CAPACITY:
            return warm_pools.WarmPool.for_request(job.request, now)
        pools = (other.warm_pool for other in self.jobs.values() if other.warm_pool is not None)
        return warm_pools.pool_for_new_job(job.name, job.request, pools, now)

    def update_keep_alive(self, name: str, seconds: int) -> None:
        """UpdateTrainingJob's ResourceConfig.KeepAlivePeriodInSeconds, for a job whose warm pool is Available."""
        job = self.get(name)
        with self._lock:
            now = _now()
            pool = job.warm_pool
            if pool is None or not pool.available(now):
                status = pool.status(now) if pool is not None else None
                raise TrainingJobError(
                    "ValidationException",
                    f"The warm pool of training job {name} is not Available (its status: {status or 'none'}): "
                    "only an Available warm pool's KeepAlivePeriodInSeconds can be updated.",
                )
            pool.update_keep_alive(seconds, now)

    def job_ended(self, job: TrainingJob) -> None:
        """The job's instances are kept in its warm pool if it has one and they came up (a job that never had
        instances, failed for capacity or stopped while Starting, has nothing to keep)."""
        if job.warm_pool is not None:
            with self._lock:
                job.warm_pool.job_ended(job.training_start_time is not None, _now())

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
        effects = self._side_effects(job)
        _best_effort(effects.put_state_change, job.describe())
        try:
            _JobRun(self, job, effects).advance()
        finally:
            self.job_ended(job)
            _best_effort(effects.enter_phase, job.status)
            _best_effort(effects.put_state_change, job.describe())


class _JobRun:
    """One job's way through its phases, on its own thread."""

    def __init__(self, registry: TrainingJobRegistry, job: TrainingJob, effects: SideEffects) -> None:
        self.registry = registry
        self.job = job
        self.effects = effects
        started = int(_now().timestamp())
        self.hosts = [
            Host(f"algo-{number}", instance_type, f"{job.name}/algo-{number}-{started}")
            for number, instance_type in enumerate(instance_types(job.request), start=1)
        ]

    def advance(self) -> None:
        job = self.job
        for index, (phase, message, share) in enumerate(_PHASES):
            if index:
                if job.status == _STOPPING:
                    break
                job.enter(phase, message)
            _best_effort(self.effects.enter_phase, phase)
            seconds = job.seconds * share * (WARM_START_SHARE if phase == "Starting" and job.on_warm_pool else 1)
            if job.outcome is Outcome.CAPACITY and phase == "Starting":
                if not job.stop_requested.wait(seconds):
                    job.finish(_FAILED, CAPACITY_FAILURE_REASON)
                    return
                break
            stopped = self.train(seconds) if phase == "Training" else job.stop_requested.wait(seconds)
            if stopped:
                break
            if phase == "Training" and job.outcome is Outcome.FAILED:
                self.print_lines([ALGORITHM_FAILURE_REASON])
                job.finish(_FAILED, ALGORITHM_FAILURE_REASON)
                return
        # SageMaker uploads what the algorithm saved also when a job is stopped.
        _best_effort(self.effects.put_object, *_split_s3_uri(job.model_artifact), _model_archive(job))
        job.finish(_STOPPED if job.status == _STOPPING else _COMPLETED)

    def train(self, seconds: float) -> bool:
        """The Training phase: the container's blocks of lines spread over `seconds`, each written on
        every instance's stream as it comes (a reader following the logs sees them while the job
        runs). True if the job was stopped meanwhile; the `stopped` outcome stops it halfway."""
        job = self.job
        report = training_metrics.container_report(job.metric_definitions, job.hyperparameters)
        for definition in report.unprintable:
            print(
                f"emulator: training job {job.name}: no line printed for metric {definition.name!r}, "
                f"whose regex {definition.regex!r} is too complex to write a matching line for",
                flush=True,
            )
        blocks = [
            [],  # the first line, which names each host's instance type
            *report.epochs,
            ["Training complete, saving model to /opt/ml/model"],
        ]
        pause = seconds / len(blocks)
        for position, lines in enumerate(blocks):
            if position:
                self.print_lines(lines)
            else:
                self.print_first_line()
            if job.outcome is Outcome.STOPPED and position == len(blocks) // 2 and job.status == _IN_PROGRESS:
                with contextlib.suppress(TrainingJobError):  # stopped by a caller meanwhile
                    self.registry.stop(job.name)
            if job.stop_requested.wait(pause):
                return True
        return False

    def print_first_line(self) -> None:
        timestamp = _now()
        for host in self.hosts:
            line = f"Starting training job {self.job.name} on {host.instance_type}"
            _best_effort(self.effects.put_log_lines, TRAINING_JOB_LOG_GROUP, host.stream, [(timestamp, line)])

    def print_lines(self, lines: list[str]) -> None:
        """The container prints `lines` on every instance; SageMaker takes the metric values from them."""
        timestamp = _now()
        for host in self.hosts:
            _best_effort(
                self.effects.put_log_lines, TRAINING_JOB_LOG_GROUP, host.stream, [(timestamp, line) for line in lines]
            )
        definitions = self.job.metric_definitions
        points = [
            MetricPoint(name, value, timestamp)
            for line in lines
            for name, value in training_metrics.extract_metrics(definitions, line)
        ]
        if points:
            _best_effort(self.effects.put_metric_data, self.job.name, points)
            self.job.record_metrics(points)


@dataclass(frozen=True)
class Host:
    """One instance of a job: its host name in the cluster, its type, its log stream."""

    name: str
    instance_type: str
    stream: str


def instance_types(request: Mapping[str, Any]) -> list[str]:
    """The type of each of a job's instances, in host order (algo-1, algo-2, ...): InstanceCount of
    InstanceType, or each of the InstanceGroups' instances, group after group. (SageMaker numbers the hosts
    of a heterogeneous cluster over all its groups but does not promise that order.)"""
    resources = request.get("ResourceConfig") or {}
    groups = resources.get("InstanceGroups")
    if groups:
        return [str(group["InstanceType"]) for group in groups for _ in range(int(group.get("InstanceCount") or 0))]
    return [str(resources.get("InstanceType"))] * int(resources.get("InstanceCount") or 1)


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
    "MetricPoint",
    "Outcome",
    "SideEffects",
    "TrainingJob",
    "TrainingJobError",
    "TrainingJobRegistry",
    "described_request",
]
