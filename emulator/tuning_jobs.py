"""The emulated SageMaker hyperparameter tuning job: it launches real emulated training jobs
(emulator/training_jobs.py) and reports on them as SageMaker does.

A tuning job created here is InProgress and, on its own thread, launches training jobs named
`<tuning job>-<3-digit index>-<8 hex>` (as SageMaker names them), each with the definition's static
hyperparameters plus the values emulator/tuning_search.py chooses, the tuning job's tags (SageMaker
propagates them) and TuningJobArn; at most ResourceLimits.MaxParallelTrainingJobs run at once, until
MaxNumberOfTrainingJobs have been launched (a Grid: every combination, or fewer when the limit says
so), TuningJobCompletionCriteria is met (TargetObjectiveMetricValue reached, or
BestObjectiveNotImproving's count of jobs without a better objective), or ResourceLimits'
MaxRuntimeInSeconds has passed (the running training jobs are then stopped). A training job's
objective value is the final value of the objective metric in its FinalMetricDataList.

The tuning job ends Completed when one of its training jobs has an objective value, else Failed with
SageMaker's words ("No training job succeeded after N attempts..."); StopHyperParameterTuningJob
makes it Stopping, stops its running training jobs, then Stopped. With TrainingJobEarlyStoppingType
Auto, every value of the objective a training job reports is checked against the earlier jobs'
(tuning_search.stops_early) and a worse job is stopped.

Like SageMaker it sends "SageMaker HyperParameter Tuning Job State Change" events (the
DescribeHyperParameterTuningJob output as detail) when it starts, when it is stopping and when it ends.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from emulator import tuning_search
from emulator.training_jobs import MetricPoint, TrainingJob, TrainingJobError

IN_PROGRESS, STOPPING, STOPPED, COMPLETED, FAILED = "InProgress", "Stopping", "Stopped", "Completed", "Failed"
_RUNNING_TRAINING = ("InProgress", "Stopping")
_POLL_SECONDS = 0.1
# The members of a training job definition a training job's CreateTrainingJob request takes as they are.
_CARRIED = (
    "RoleArn", "AlgorithmSpecification", "OutputDataConfig", "StoppingCondition", "InputDataConfig", "VpcConfig",
    "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining",
    "CheckpointConfig", "RetryStrategy", "Environment",
)  # fmt: skip
_RESOURCE_MEMBERS = ("InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId", "KeepAlivePeriodInSeconds")
_DESCRIBED_AS_SENT = ("HyperParameterTuningJobConfig", "TrainingJobDefinitions", "WarmStartConfig", "Autotune")
# SageMaker adds the objective's name to the static hyperparameters of a TrainingJobDefinition: its training
# jobs get it, DescribeHyperParameterTuningJob shows it (the SDK's HyperparameterTuner.attach removes it).
OBJECTIVE_HYPERPARAMETER = "_tuning_objective_metric"


def no_training_job_succeeded(attempts: int) -> str:
    return (
        f"No training job succeeded after {attempts} attempts. "
        "Please take a look at the training job failures to get more details."
    )


class TrainingJobs(Protocol):
    """What a tuning job needs of the training jobs' registry (training_jobs.TrainingJobRegistry)."""

    def create(self, request: dict[str, Any]) -> TrainingJob: ...
    def stop(self, name: str) -> None: ...


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
        ended = self.job.status not in _RUNNING_TRAINING
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
            definition["ResourceConfig"] = {k: v for k, v in tuning_resources.items() if k in _RESOURCE_MEMBERS}
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


class TuningJobRegistry:
    """The tuning jobs of one account and region, and the threads that run them."""

    def __init__(
        self,
        arn_prefix: str,
        training_jobs: TrainingJobs,
        put_state_change: Callable[[dict[str, Any]], None],
    ) -> None:
        self._arn_prefix = arn_prefix  # arn:aws:sagemaker:<region>:<account>:hyper-parameter-tuning-job/
        self._training_jobs = training_jobs
        self._put_state_change = put_state_change
        self._lock = threading.Lock()
        self.jobs: dict[str, TuningJob] = {}
        self._trials: dict[str, tuple[TuningJob, Trial]] = {}  # by training job name

    def create(self, request: dict[str, Any]) -> TuningJob:
        name = str(request["HyperParameterTuningJobName"])
        _check_request(request)
        with self._lock:
            if name in self.jobs:
                raise TrainingJobError(
                    "ResourceInUse",
                    f"A hyperparameter tuning job with the name, {name}, already exists. Choose a different name.",
                )
            job = TuningJob(request=request, arn=f"{self._arn_prefix}{name.lower()}")
            self.jobs[name] = job
        threading.Thread(target=self._run, args=(job,), name=f"tuning-{name}", daemon=True).start()
        return job

    def get(self, name: str) -> TuningJob:
        job = self.jobs.get(name)
        if job is None:
            raise TrainingJobError(
                "ResourceNotFound", f"Amazon SageMaker can't find a tuning job called {name}. Type another name."
            )
        return job

    def stop(self, name: str) -> None:
        job = self.get(name)
        with job.lock:
            if job.status != IN_PROGRESS:
                raise TrainingJobError(
                    "ValidationException",
                    f"The request was rejected because the hyperparameter tuning job is in status {job.status}.",
                )
            job.set_status(STOPPING)
        job.stop_requested.set()

    def observe_metrics(self, training_job_name: str, points: list[MetricPoint]) -> None:
        """SageMaker's tuning side hears each value a training job reports: early stopping's check."""
        owner = self._trials.get(training_job_name)
        if owner is None:
            return
        job, trial = owner
        metric = job.objective.get("MetricName")
        values = [p.value for p in points if p.name == metric]
        if not values:
            return
        with job.lock:
            trial.objective_curve.extend(values)
            earlier = [t.objective_curve for t in job.trials[: job.trials.index(trial)]]
            curve = list(trial.objective_curve)
        if job.config.get("TrainingJobEarlyStoppingType") != "Auto" or trial.job.status != "InProgress":
            return
        if tuning_search.stops_early(curve[-1], len(curve), earlier, job.objective.get("Type", "")):
            with contextlib.suppress(TrainingJobError):  # it ended meanwhile
                self._training_jobs.stop(training_job_name)

    def _run(self, job: TuningJob) -> None:
        self._emit(job)
        try:
            _TuningRun(self, job).run()
        except Exception as error:  # a tuning job never dies silently: it fails with the reason
            job.set_status(FAILED, f"InternalServerError: {error}")
        finally:
            self._emit(job)

    def _emit(self, job: TuningJob) -> None:
        try:
            self._put_state_change(job.describe())
        except Exception as error:
            print(f"emulator: tuning job {job.name}: state change event failed: {error}", flush=True)

    def launch(self, job: TuningJob, tuned: dict[str, str]) -> None:
        index = len(job.trials) + 1
        name = f"{job.name}-{index:03d}-{uuid.uuid4().hex[:8]}"
        request = training_job_request(job, name, tuned)
        with job.lock:
            training_job = self._training_jobs.create(request)
            trial = Trial(training_job, tuned)
            job.trials.append(trial)
            self._trials[name] = (job, trial)

    def stop_training_jobs(self, job: TuningJob) -> None:
        for state in job.trial_states():
            if state.status == "InProgress":
                with contextlib.suppress(TrainingJobError):
                    self._training_jobs.stop(state.name)


def training_job_request(job: TuningJob, name: str, tuned: Mapping[str, str]) -> dict[str, Any]:
    """The CreateTrainingJob request SageMaker makes for one of the tuning job's training jobs."""
    definition = job.definition
    request: dict[str, Any] = {"TrainingJobName": name}
    request.update({key: copy.deepcopy(definition[key]) for key in _CARRIED if key in definition})
    resources = definition.get("ResourceConfig") or definition.get("HyperParameterTuningResourceConfig") or {}
    request["ResourceConfig"] = {key: resources[key] for key in _RESOURCE_MEMBERS if key in resources}
    request["HyperParameters"] = {**(definition.get("StaticHyperParameters") or {}), **tuned}
    request["Tags"] = copy.deepcopy(job.request.get("Tags") or [])
    request["TuningJobArn"] = job.arn
    return request


def _check_request(request: Mapping[str, Any]) -> None:
    """What SageMaker refuses beyond botocore's model, for what the emulator runs."""
    config = request["HyperParameterTuningJobConfig"]
    if not request.get("TrainingJobDefinition") and not request.get("TrainingJobDefinitions"):
        raise TrainingJobError("ValidationException", "TrainingJobDefinition or TrainingJobDefinitions is required")
    limits = config.get("ResourceLimits") or {}
    if config.get("Strategy") != tuning_search.GRID and not limits.get("MaxNumberOfTrainingJobs"):
        raise TrainingJobError(
            "ValidationException",
            "ResourceLimits.MaxNumberOfTrainingJobs is required unless the strategy is Grid",
        )
    ranges = tuning_search.parameter_ranges(config.get("ParameterRanges"))
    if config.get("Strategy") == tuning_search.GRID and any(r.kind != "Categorical" for r in ranges):
        raise TrainingJobError("ValidationException", "The Grid strategy supports only categorical parameter ranges")


class _TuningRun:
    """One tuning job's way from its first training job to its end, on its own thread."""

    def __init__(self, registry: TuningJobRegistry, job: TuningJob) -> None:
        self.registry = registry
        self.job = job
        config = job.config
        limits = config.get("ResourceLimits") or {}
        grid = tuning_search.grid_size(config)
        self.limit = min(n for n in (limits.get("MaxNumberOfTrainingJobs"), grid) if n is not None)
        self.parallel = int(limits.get("MaxParallelTrainingJobs") or 1)
        runtime = limits.get("MaxRuntimeInSeconds")
        self.deadline = time.monotonic() + runtime if runtime else None
        self.candidates: Iterator[dict[str, str]] = tuning_search.candidates(config, job.name)
        self.criteria = config.get("TuningJobCompletionCriteria") or {}
        self.best: float | None = None
        self.ended_seen = 0

    def run(self) -> None:
        job = self.job
        while not job.stop_requested.is_set() and self.launching():
            states = job.trial_states()
            if sum(s.status in _RUNNING_TRAINING for s in states) < self.parallel:
                tuned = next(self.candidates, None)
                if tuned is None:
                    break
                try:
                    self.registry.launch(job, tuned)
                except TrainingJobError as error:
                    job.set_status(FAILED, f"{error.code}: {error.message}")
                    break
                continue
            job.stop_requested.wait(_POLL_SECONDS)
        if job.stop_requested.is_set():
            self.registry._emit(job)  # Stopping
        if job.stop_requested.is_set() or self.out_of_time():
            self.registry.stop_training_jobs(job)
        self.wait_for_training_jobs()
        self.finish()

    def launching(self) -> bool:
        """Whether another training job may start: under the limit, in time, completion criteria unmet."""
        states = self.job.trial_states()
        self.follow_improvement(states)
        if len(states) >= self.limit or self.out_of_time() or self.job.status != IN_PROGRESS:
            return False
        target = self.criteria.get("TargetObjectiveMetricValue")
        objective_type = self.job.objective.get("Type", tuning_search.MINIMIZE)
        if (
            target is not None
            and self.best is not None
            and not tuning_search.is_worse(self.best, target, objective_type)
        ):
            return False
        patience = (self.criteria.get("BestObjectiveNotImproving") or {}).get("MaxNumberOfTrainingJobsNotImproving")
        return not (patience and self.job.jobs_not_improving >= patience)

    def follow_improvement(self, states: list[tuning_search.TrialState]) -> None:
        """Count, in the order they end, the training jobs whose objective is no better than the best so far."""
        objective_type = self.job.objective.get("Type", tuning_search.MINIMIZE)
        ended = [s for s in states if s.status not in _RUNNING_TRAINING]
        for state in ended[self.ended_seen :]:
            if state.objective is not None and (
                self.best is None or tuning_search.is_worse(self.best, state.objective, objective_type)
            ):
                self.best = state.objective
                self.job.jobs_not_improving = 0
            else:
                self.job.jobs_not_improving += 1
        self.ended_seen = len(ended)

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def wait_for_training_jobs(self) -> None:
        while any(s.status in _RUNNING_TRAINING for s in self.job.trial_states()):
            if self.job.stop_requested.is_set() or self.out_of_time():
                self.registry.stop_training_jobs(self.job)
            time.sleep(_POLL_SECONDS)

    def finish(self) -> None:
        job = self.job
        states = job.trial_states()
        self.follow_improvement(states)
        if job.status == FAILED:
            job.set_status(FAILED)
        elif job.stop_requested.is_set():
            job.set_status(STOPPED)
        elif not any(tuning_search.objective_status(s) == "Succeeded" for s in states):
            job.set_status(FAILED, no_training_job_succeeded(len(states)))
        else:
            job.set_status(COMPLETED)


__all__ = [
    "OBJECTIVE_HYPERPARAMETER",
    "TrainingJobs",
    "TuningJob",
    "TuningJobRegistry",
    "no_training_job_succeeded",
    "training_job_request",
]
