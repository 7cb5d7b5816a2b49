"""A hyperparameter tuning job as trainctl reports it: read from SageMaker's DescribeHyperParameterTuningJob
and ListTrainingJobsForHyperParameterTuningJob, and followed as its training jobs end.

The training jobs a tuning job runs are HyperParameterTrainingJobSummary items, in
DescribeHyperParameterTuningJob's BestTrainingJob as in the list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from platform_contract import FINAL_JOB_STATUSES, FINAL_TUNING_JOB_STATUSES, TuningJobStatus
from trainctl.errors import PlatformError
from trainctl.states import iso_time, lasted
from training_events import tuning_console_links

# ListTrainingJobsForHyperParameterTuningJob's largest page.
_LIST_PAGE_SIZE = 100
# What SageMaker answers for a tuning job it does not have: ResourceNotFound; ValidationException for a
# name no tuning job can have (over 32 characters, say), which is not one either.
_NOT_FOUND_CODES = ("ResourceNotFound", "ValidationException")


def _stamp(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%H:%M:%S") if moment else datetime.now(UTC).strftime("%H:%M:%S")


@dataclass(frozen=True)
class TunedTrainingJob:
    """One training job of a tuning job, with the objective value SageMaker read from it."""

    name: str
    status: str  # a platform_contract.TrainingJobStatus value
    failure_reason: str | None
    objective_metric: str | None
    objective_value: float | None
    tuned_hyperparameters: dict[str, str]
    created: datetime | None
    ended: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_JOB_STATUSES

    @property
    def objective(self) -> str:
        """`ganloss = 0.2669`, or '' while SageMaker has no value for it."""
        if self.objective_value is None:
            return ""
        return f"{self.objective_metric} = {self.objective_value}"

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any]) -> TunedTrainingJob:
        metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        return cls(
            name=summary["TrainingJobName"],
            status=summary["TrainingJobStatus"],
            failure_reason=summary.get("FailureReason"),
            objective_metric=metric.get("MetricName"),
            objective_value=metric.get("Value"),
            tuned_hyperparameters=dict(summary.get("TunedHyperParameters", {})),
            created=summary.get("CreationTime"),
            ended=summary.get("TrainingEndTime"),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "objective_metric": self.objective_metric,
            "objective_value": self.objective_value,
            "tuned_hyperparameters": self.tuned_hyperparameters,
            "created": iso_time(self.created),
            "ended": iso_time(self.ended),
        }


@dataclass(frozen=True)
class TrainingJobCounts:
    """TrainingJobStatusCounters: `failed` counts the jobs that failed with a retryable error (SageMaker
    started another in their place) and those that failed for good."""

    completed: int
    in_progress: int
    stopped: int
    failed: int

    @classmethod
    def from_counters(cls, counters: Mapping[str, int]) -> TrainingJobCounts:
        return cls(
            completed=counters.get("Completed", 0),
            in_progress=counters.get("InProgress", 0),
            stopped=counters.get("Stopped", 0),
            failed=counters.get("RetryableError", 0) + counters.get("NonRetryableError", 0),
        )

    def __str__(self) -> str:
        return (
            f"{self.completed} completed, {self.in_progress} in progress, {self.stopped} stopped, {self.failed} failed"
        )

    def to_json(self) -> dict[str, int]:
        return {
            "completed": self.completed,
            "in_progress": self.in_progress,
            "stopped": self.stopped,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class TuningJobState:
    name: str
    arn: str
    status: str  # a platform_contract.TuningJobStatus value
    failure_reason: str | None
    strategy: str | None
    objective_type: str | None  # Minimize | Maximize
    objective_metric: str | None
    max_jobs: int | None
    max_parallel_jobs: int | None
    instance_type: str | None
    instance_count: int | None
    created: datetime | None
    ended: datetime | None
    counts: TrainingJobCounts
    best: TunedTrainingJob | None
    best_model_artifacts: str | None = None  # the best job's model, when read (DescribeTrainingJob)

    @property
    def finished(self) -> bool:
        return self.status in FINAL_TUNING_JOB_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == TuningJobStatus.COMPLETED.value

    @property
    def links(self) -> dict[str, str]:
        """The tuning job's console page and its training jobs' log streams (from its ARN's region)."""
        region = self.arn.split(":")[3] if self.arn.count(":") >= 5 else ""
        return tuning_console_links(self.name, region) if region else {}

    def duration_seconds(self, now: datetime | None = None) -> int | None:
        return lasted(self.created, self.ended, finished=self.finished, now=now)

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> TuningJobState:
        config = description.get("HyperParameterTuningJobConfig", {})
        objective = config.get("HyperParameterTuningJobObjective", {})
        limits = config.get("ResourceLimits", {})
        # HyperParameterTuningResourceConfig where the SDK puts the instances, ResourceConfig otherwise; a tuning
        # job of several training definitions (TrainingJobDefinitions), or of several instance configurations,
        # has no single instance type.
        definition = description.get("TrainingJobDefinition", {})
        resources = definition.get("HyperParameterTuningResourceConfig") or definition.get("ResourceConfig") or {}
        best = description.get("BestTrainingJob")
        return cls(
            name=description["HyperParameterTuningJobName"],
            arn=description.get("HyperParameterTuningJobArn", ""),
            status=description["HyperParameterTuningJobStatus"],
            failure_reason=description.get("FailureReason"),
            strategy=config.get("Strategy"),
            objective_type=objective.get("Type"),
            objective_metric=objective.get("MetricName"),
            max_jobs=limits.get("MaxNumberOfTrainingJobs"),
            max_parallel_jobs=limits.get("MaxParallelTrainingJobs"),
            instance_type=resources.get("InstanceType"),
            instance_count=resources.get("InstanceCount"),
            created=description.get("CreationTime"),
            ended=description.get("HyperParameterTuningEndTime"),
            counts=TrainingJobCounts.from_counters(description.get("TrainingJobStatusCounters", {})),
            best=TunedTrainingJob.from_summary(best) if best else None,
        )

    def to_json(self) -> dict[str, object]:
        best = self.best.to_json() | {"model_artifacts": self.best_model_artifacts} if self.best else None
        return {
            "tuning_job_name": self.name,
            "tuning_job_arn": self.arn,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "strategy": self.strategy,
            "objective_type": self.objective_type,
            "objective_metric": self.objective_metric,
            "max_jobs": self.max_jobs,
            "max_parallel_jobs": self.max_parallel_jobs,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "created": iso_time(self.created),
            "ended": iso_time(self.ended),
            "duration_seconds": self.duration_seconds(),
            "training_job_counts": self.counts.to_json(),
            "best_training_job": best,
            "links": self.links,
        }


# -- progress ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TuningStatusChange:
    """The tuning job's own status: shown when it changes, the last one with the training jobs' counts."""

    tuning_job: TuningJobState

    def __str__(self) -> str:
        job = self.tuning_job
        line = f"{_stamp(job.ended)} tuning job {job.name}: {job.status}"
        if job.finished:
            line += f" ({job.counts})" + (f": {job.failure_reason}" if job.failure_reason else "")
        return line


@dataclass(frozen=True)
class TrainingJobEnded:
    """One of the tuning job's training jobs ended: its status and its objective value."""

    job: TunedTrainingJob

    def __str__(self) -> str:
        job = self.job
        detail = job.objective or job.failure_reason or ""
        return f"{_stamp(job.ended)} {job.name} {job.status}" + (f": {detail}" if detail else "")


@dataclass(frozen=True)
class BestSoFar:
    """The tuning job's best training job changed: a better objective value."""

    job: TunedTrainingJob

    def __str__(self) -> str:
        return f"{_stamp(self.job.ended)} best so far: {self.job.name} {self.job.objective}"


TuningEvent = TuningStatusChange | TrainingJobEnded | BestSoFar


def tuning_progress(
    read: Callable[[], tuple[TuningJobState, list[TunedTrainingJob]]],
    sleep: Callable[[], None],
) -> Iterator[TuningEvent]:
    """What changed at each read, until the tuning job ends: its status, each training job's end (in the
    order they ended), its best job when that changes; the final status last."""
    reported: set[str] = set()
    best: str | None = None
    status: str | None = None
    while True:
        tuning, jobs = read()  # the list is read after the description: a job the counters count is there
        if tuning.status != status and not tuning.finished:
            status = tuning.status
            yield TuningStatusChange(tuning)
        ended = [job for job in jobs if job.finished and job.name not in reported]
        for job in sorted(ended, key=lambda job: (job.ended or datetime.max.replace(tzinfo=UTC), job.name)):
            reported.add(job.name)
            yield TrainingJobEnded(job)
        if tuning.best is not None and tuning.best.objective_value is not None and tuning.best.name != best:
            best = tuning.best.name
            yield BestSoFar(tuning.best)
        if tuning.finished:
            yield TuningStatusChange(tuning)
            return
        sleep()


# -- reading SageMaker ----------------------------------------------------------------------------------


def describe_tuning_job(sagemaker: Any, name: str) -> TuningJobState:
    try:
        return TuningJobState.from_description(
            sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _NOT_FOUND_CODES:
            raise PlatformError(f"no tuning job named {name!r} in {sagemaker.meta.region_name}") from None
        raise


def tuned_training_jobs(sagemaker: Any, name: str) -> list[TunedTrainingJob]:
    """Every training job the tuning job started so far, oldest first (all pages)."""
    jobs: list[TunedTrainingJob] = []
    request: dict[str, Any] = {
        "HyperParameterTuningJobName": name,
        "MaxResults": _LIST_PAGE_SIZE,
        "SortBy": "CreationTime",
        "SortOrder": "Ascending",
    }
    while True:
        page = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(**request)
        jobs.extend(TunedTrainingJob.from_summary(summary) for summary in page.get("TrainingJobSummaries", []))
        if not page.get("NextToken"):
            return jobs
        request["NextToken"] = page["NextToken"]
