"""A tuning job's state and how SageMaker describes it: its request, status and training jobs (each a
Trial), DescribeHyperParameterTuningJob, and the summaries its two list operations show
(emulator/tuning_jobs.py runs it)."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulator import tuning_search
from emulator.training_jobs import TrainingJob

IN_PROGRESS, STOPPING, STOPPED, COMPLETED, FAILED = "InProgress", "Stopping", "Stopped", "Completed", "Failed"
RUNNING_TRAINING = ("InProgress", "Stopping")
RESOURCE_MEMBERS = ("InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId", "KeepAlivePeriodInSeconds")
_DESCRIBED_AS_SENT = ("HyperParameterTuningJobConfig", "TrainingJobDefinitions", "WarmStartConfig", "Autotune")
# SageMaker adds the objective's name to the static hyperparameters of a TrainingJobDefinition: its training
# jobs get it, DescribeHyperParameterTuningJob shows it (the SDK's HyperparameterTuner.attach removes it).
OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"


def no_training_job_succeeded(attempts: int) -> str:
    return (
        f"No training job succeeded after {attempts} attempts. "
        "Please take a look at the training job failures to get more details."
    )


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass
class Trial:
    """One training job of a tuning job."""

    job: TrainingJob
    tuned: dict[str, str]
    objective_curve: list[float] = field(default_factory=list)  # the objective's values as reported

    def state(self, metric_name: str) -> tuning_search.TrialState:
        ended = self.job.status not in RUNNING_TRAINING
        point = self.job.last_metrics.get(metric_name) if ended else None
        return tuning_search.TrialState(
            self.job.name, self.job.status, self.job.failure_reason, point.value if point else None
        )


@dataclass
class TuningJob:
    request: dict[str, Any]
    arn: str
    status: str = IN_PROGRESS
    failure_reason: str | None = None
    creation_time: datetime = field(default_factory=_now)
    last_modified_time: datetime = field(default_factory=_now)
    end_time: datetime | None = None
    trials: list[Trial] = field(default_factory=list)
    jobs_not_improving: int = 0
    stop_requested: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def name(self) -> str:
        return str(self.request["HyperParameterTuningJobName"])

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.request["HyperParameterTuningJobConfig"])

    @property
    def objective(self) -> dict[str, str]:
        return dict(self.config.get("HyperParameterTuningJobObjective") or {})

    @property
    def tags(self) -> list[dict[str, str]]:  # moto's AddTags, ListTags and DeleteTags read and write these
        return self.request.setdefault("Tags", [])

    @tags.setter
    def tags(self, value: list[dict[str, str]]) -> None:
        self.request["Tags"] = value

    @property
    def definition(self) -> dict[str, Any]:
        """The training job definition as described (OBJECTIVE_HYPERPARAMETER and ResourceConfig added); of
        several, the first."""
        single = self.request.get("TrainingJobDefinition")
        if single is None:
            return copy.deepcopy((self.request.get("TrainingJobDefinitions") or [{}])[0])
        definition = copy.deepcopy(single)
        static = definition.setdefault("StaticHyperParameters", {})
        static.setdefault(OBJECTIVE_HYPERPARAMETER, self.objective.get("MetricName", ""))
        tuning_resources = definition.get("HyperParameterTuningResourceConfig") or {}
        if "ResourceConfig" not in definition and tuning_resources and "InstanceConfigs" not in tuning_resources:
            # Inferred, not documented: the SDK 2.x sends HyperParameterTuningResourceConfig and its
            # HyperparameterTuner.attach reads the described definition's ResourceConfig.
            definition["ResourceConfig"] = {k: v for k, v in tuning_resources.items() if k in RESOURCE_MEMBERS}
        return dict(definition)

    def trial_states(self) -> list[tuning_search.TrialState]:
        metric = self.objective.get("MetricName", "")
        with self.lock:
            return [trial.state(metric) for trial in self.trials]

    def set_status(self, status: str, failure_reason: str | None = None) -> None:
        with self.lock:
            self.status = status
            self.last_modified_time = _now()
            if failure_reason:
                self.failure_reason = failure_reason
            if status in (COMPLETED, FAILED, STOPPED):
                self.end_time = self.last_modified_time

    def training_job_summary(self, trial: Trial) -> dict[str, Any]:
        """A HyperParameterTrainingJobSummary."""
        state = trial.state(self.objective.get("MetricName", ""))
        job = trial.job
        summary: dict[str, Any] = {
            "TrainingJobName": job.name,
            "TrainingJobArn": job.arn,
            "TuningJobName": self.name,
            "CreationTime": job.creation_time,
            "TrainingJobStatus": job.status,
            "TunedHyperParameters": dict(trial.tuned),
            "ObjectiveStatus": tuning_search.objective_status(state),
        }
        if job.training_start_time is not None:
            summary["TrainingStartTime"] = job.training_start_time
        if job.training_end_time is not None:
            summary["TrainingEndTime"] = job.training_end_time
        if job.failure_reason:
            summary["FailureReason"] = job.failure_reason
        if state.objective is not None:
            summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
                "Type": self.objective.get("Type"),
                "MetricName": self.objective.get("MetricName"),
                "Value": state.objective,
            }
        return summary

    def training_job_summaries(self) -> list[dict[str, Any]]:
        with self.lock:
            return [self.training_job_summary(trial) for trial in self.trials]

    def summary(self) -> dict[str, Any]:
        """A HyperParameterTuningJobSummary."""
        states = self.trial_states()
        with self.lock:
            summary: dict[str, Any] = {
                "HyperParameterTuningJobName": self.name,
                "HyperParameterTuningJobArn": self.arn,
                "HyperParameterTuningJobStatus": self.status,
                "Strategy": self.config.get("Strategy"),
                "CreationTime": self.creation_time,
                "LastModifiedTime": self.last_modified_time,
                "TrainingJobStatusCounters": tuning_search.training_job_counters(states),
                "ObjectiveStatusCounters": tuning_search.objective_counters(states),
            }
            if self.config.get("ResourceLimits"):
                summary["ResourceLimits"] = copy.deepcopy(self.config["ResourceLimits"])
            if self.end_time is not None:
                summary["HyperParameterTuningEndTime"] = self.end_time
            return summary

    def describe(self) -> dict[str, Any]:
        """The DescribeHyperParameterTuningJob response."""
        states = self.trial_states()
        with self.lock:
            result = {key: copy.deepcopy(self.request[key]) for key in _DESCRIBED_AS_SENT if key in self.request}
            if "TrainingJobDefinition" in self.request:
                result["TrainingJobDefinition"] = self.definition
            summary = self.summary()
            summary.pop("Strategy")
            summary.pop("ResourceLimits", None)
            result.update(summary)
            best = tuning_search.best_trial(states, self.objective.get("Type", tuning_search.MINIMIZE))
            if best is not None:
                trial = next(t for t in self.trials if t.job.name == best.name)
                result["BestTrainingJob"] = self.training_job_summary(trial)
            if self.failure_reason:
                result["FailureReason"] = self.failure_reason
            result["TuningJobCompletionDetails"] = {
                "NumberOfTrainingJobsObjectiveNotImproving": self.jobs_not_improving
            }
            end = self.end_time or _now()
            result["ConsumedResources"] = {"RuntimeInSeconds": round((end - self.creation_time).total_seconds())}
            return result


__all__ = [
    "COMPLETED",
    "FAILED",
    "IN_PROGRESS",
    "OBJECTIVE_HYPERPARAMETER",
    "RESOURCE_MEMBERS",
    "RUNNING_TRAINING",
    "STOPPED",
    "STOPPING",
    "Trial",
    "TuningJob",
    "no_training_job_succeeded",
]
