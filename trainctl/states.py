"""What `status`, `list`, `start --wait` and the notebook API report: plain values read from SageMaker's
DescribeTrainingJob and Step Functions' DescribeExecution/ListExecutions answers (a tuning job's, from
DescribeHyperParameterTuningJob, are in trainctl.tuning)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from platform_contract import (
    FINAL_EXECUTION_STATUSES,
    FINAL_JOB_STATUSES,
    RequestKind,
    TrainingJobStatus,
    WorkflowExecutionStatus,
)
from trainctl.joblogs import LogLine

if TYPE_CHECKING:  # trainctl.tuning builds on this module's helpers
    from trainctl.tuning import TuningJobState

# The key of the workflow's output for an event it ignored at once (its Ignored state).
_IGNORED_KEY = "ignored"


def iso_time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def seconds_between(start: datetime, end: datetime) -> int:
    # Rounded, as SageMaker's own whole seconds (TrainingTimeInSeconds) are: truncated, a job stopped
    # after 5.6 s lasted 5 s next to its 6 s of training.
    return round((end - start).total_seconds())


def lasted(created: datetime | None, ended: datetime | None, *, finished: bool, now: datetime | None) -> int | None:
    """Seconds from creation to the end, or to now while it runs (None when unknown)."""
    if created is None:
        return None
    end = ended or (None if finished else (now or datetime.now(UTC)))
    return seconds_between(created, end) if end else None


@dataclass(frozen=True)
class StatusChange:
    """One of SageMaker's SecondaryStatusTransitions: Starting, Downloading, Training, Uploading, ..."""

    status: str
    message: str
    time: datetime | None

    def __str__(self) -> str:
        stamp = self.time.astimezone(UTC).strftime("%H:%M:%S") if self.time else "--:--:--"
        return f"{stamp} {self.status}: {self.message}" if self.message else f"{stamp} {self.status}"


ProgressEvent = StatusChange | LogLine


@dataclass(frozen=True)
class InstanceGroup:
    """One group of a heterogeneous cluster (ResourceConfig.InstanceGroups)."""

    name: str
    instance_type: str
    instance_count: int

    def __str__(self) -> str:
        return f"{self.name}: {self.instance_count} x {self.instance_type}"

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "instance_type": self.instance_type, "instance_count": self.instance_count}


@dataclass(frozen=True)
class WarmPoolState:
    """DescribeTrainingJob's WarmPoolStatus: the instances a job kept for a matching job to reuse."""

    status: str  # Available, InUse, Reused, Terminated
    retained_seconds: int | None  # how long the pool waited, idle, after the job (billed)
    reused_by: str | None  # the job that reused it

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> WarmPoolState | None:
        pool = description.get("WarmPoolStatus")
        if not pool:
            return None
        return cls(pool["Status"], pool.get("ResourceRetainedBillableTimeInSeconds"), pool.get("ReusedByJob"))

    def to_json(self) -> dict[str, object]:
        return {"status": self.status, "retained_seconds": self.retained_seconds, "reused_by": self.reused_by}


@dataclass(frozen=True)
class JobStatus:
    name: str
    arn: str
    status: str  # a platform_contract.TrainingJobStatus value
    secondary_status: str | None
    failure_reason: str | None
    instance_type: str | None
    instance_count: int | None
    created: datetime | None
    ended: datetime | None
    training_seconds: int | None
    billable_seconds: int | None
    model_artifacts: str | None
    final_metrics: dict[str, float]
    transitions: tuple[StatusChange, ...]
    instance_groups: tuple[InstanceGroup, ...] = ()  # a heterogeneous cluster's, in place of type and count
    warm_pool: WarmPoolState | None = None

    @property
    def instances(self) -> str:
        """`2 x ml.m5.xlarge`, or each group of a heterogeneous cluster: `data: 2 x ml.c5.xlarge, train: ...`."""
        if self.instance_groups:
            return ", ".join(str(group) for group in self.instance_groups)
        return f"{self.instance_count} x {self.instance_type}"

    @property
    def finished(self) -> bool:
        return self.status in FINAL_JOB_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == TrainingJobStatus.COMPLETED.value

    def duration_seconds(self, now: datetime | None = None) -> int | None:
        return lasted(self.created, self.ended, finished=self.finished, now=now)

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> JobStatus:
        resources = description.get("ResourceConfig", {})
        return cls(
            name=description["TrainingJobName"],
            arn=description.get("TrainingJobArn", ""),
            status=description["TrainingJobStatus"],
            secondary_status=description.get("SecondaryStatus"),
            failure_reason=description.get("FailureReason"),
            instance_type=resources.get("InstanceType"),
            instance_count=resources.get("InstanceCount"),
            instance_groups=tuple(
                InstanceGroup(group["InstanceGroupName"], group["InstanceType"], group["InstanceCount"])
                for group in resources.get("InstanceGroups") or ()
            ),
            created=description.get("CreationTime"),
            ended=description.get("TrainingEndTime"),
            training_seconds=description.get("TrainingTimeInSeconds"),
            billable_seconds=description.get("BillableTimeInSeconds"),
            model_artifacts=description.get("ModelArtifacts", {}).get("S3ModelArtifacts"),
            final_metrics={
                metric["MetricName"]: metric["Value"] for metric in description.get("FinalMetricDataList", [])
            },
            transitions=tuple(
                StatusChange(item["Status"], item.get("StatusMessage", ""), item.get("StartTime"))
                for item in description.get("SecondaryStatusTransitions", [])
            ),
            warm_pool=WarmPoolState.from_description(description),
        )

    def to_json(self) -> dict[str, object]:
        return {
            "job_name": self.name,
            "job_arn": self.arn,
            "status": self.status,
            "secondary_status": self.secondary_status,
            "failure_reason": self.failure_reason,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "instance_groups": [group.to_json() for group in self.instance_groups] or None,
            "created": iso_time(self.created),
            "ended": iso_time(self.ended),
            "duration_seconds": self.duration_seconds(),
            "training_seconds": self.training_seconds,
            "billable_seconds": self.billable_seconds,
            "model_artifacts": self.model_artifacts,
            "final_metrics": self.final_metrics,
            "warm_pool": self.warm_pool.to_json() if self.warm_pool else None,
        }


@dataclass(frozen=True)
class ExecutionStatus:
    arn: str
    name: str
    status: str  # a platform_contract.WorkflowExecutionStatus value
    started: datetime | None
    stopped: datetime | None
    error: str | None = None
    cause: str | None = None
    output: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_EXECUTION_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == WorkflowExecutionStatus.SUCCEEDED.value

    @property
    def links(self) -> dict[str, str]:
        links = (self.output or {}).get("links")
        return dict(links) if isinstance(links, dict) else {}

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> ExecutionStatus:
        """From DescribeExecution, or from an item of ListExecutions (which has no output, error or cause)."""
        output = description.get("output")
        try:
            parsed = json.loads(output) if output else None
        except ValueError:
            parsed = None
        return cls(
            arn=description["executionArn"],
            name=description.get("name") or description["executionArn"].rsplit(":", 1)[-1],
            status=description["status"],
            started=description.get("startDate"),
            stopped=description.get("stopDate"),
            error=description.get("error"),
            cause=description.get("cause"),
            output=parsed if isinstance(parsed, dict) else None,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "execution_arn": self.arn,
            "execution_name": self.name,
            "execution_status": self.status,
            "started": iso_time(self.started),
            "stopped": iso_time(self.stopped),
            "error": self.error,
            "cause": self.cause,
            "links": self.links,
        }


@dataclass(frozen=True)
class TrainingState:
    """An execution and the job it ran (a training job, or a hyperparameter tuning job), as `status` shows them."""

    execution: ExecutionStatus | None
    job: JobStatus | None
    tuning_job: TuningJobState | None = None

    @property
    def kind(self) -> str | None:
        """The kind of job (a platform_contract.RequestKind value); None while (or when) there is none."""
        if self.tuning_job is not None:
            return RequestKind.TUNING.value
        return RequestKind.TRAINING.value if self.job is not None else None

    @property
    def succeeded(self) -> bool:
        if self.tuning_job is not None:
            return self.tuning_job.succeeded
        return self.job is not None and self.job.succeeded

    @property
    def ignored(self) -> bool:
        """An event the workflow ignored at once (a tag that does not match, an event sent by hand):
        the execution named no job and succeeded with {"ignored": <reason>}."""
        execution = self.execution
        return (
            self.kind is None
            and execution is not None
            and execution.succeeded
            and _IGNORED_KEY in (execution.output or {})
        )

    @property
    def finished(self) -> bool:
        if self.tuning_job is not None:
            return self.tuning_job.finished
        if self.job is not None:
            return self.job.finished
        return self.execution is not None and self.execution.finished

    def to_json(self) -> dict[str, object]:
        return {
            "succeeded": self.succeeded,
            "kind": self.kind,
            "execution": self.execution.to_json() if self.execution else None,
            "job": self.job.to_json() if self.job else None,
            "tuning_job": self.tuning_job.to_json() if self.tuning_job else None,
        }
