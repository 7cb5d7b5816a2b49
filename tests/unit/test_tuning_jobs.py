"""A tuning job's run (emulator/tuning_jobs.py) over training jobs that end at once with a chosen
objective value: when it stops launching (MaxNumberOfTrainingJobs, TargetObjectiveMetricValue,
BestObjectiveNotImproving), how it ends, and the requests it makes for its training jobs."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.training_jobs import MetricPoint, Outcome, TrainingJob, TrainingJobError
from emulator.tuning_job_state import TuningJob, no_training_job_succeeded
from emulator.tuning_jobs import TuningJobRegistry

PREFIX = "arn:aws:sagemaker:eu-west-1:123456789012:hyper-parameter-tuning-job/"


class InstantTrainingJobs:
    """Training jobs that have ended when created: Completed with `objective(hyperparameters)` as their
    final loss, or Failed when that is None."""

    def __init__(self, objective: Callable[[dict[str, str]], float | None]) -> None:
        self.objective = objective
        self.requests: list[dict[str, Any]] = []

    def create(self, request: dict[str, Any]) -> TrainingJob:
        self.requests.append(request)
        job = TrainingJob(
            request=request, arn=f"arn:training-job/{request['TrainingJobName']}", outcome=Outcome.COMPLETED, seconds=0
        )
        value = self.objective(request["HyperParameters"])
        if value is None:
            job.finish("Failed", "AlgorithmError: failed on purpose")
        else:
            job.record_metrics([MetricPoint("loss", value, datetime.now(UTC))])
            job.finish("Completed")
        return job

    def stop(self, name: str) -> None:
        raise TrainingJobError("ValidationException", f"{name} has ended")


def request(name: str, max_jobs: int | None = 6, **config: Any) -> dict[str, Any]:
    limits = {"MaxParallelTrainingJobs": 2, **({"MaxNumberOfTrainingJobs": max_jobs} if max_jobs else {})}
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "RandomSeed": 3,
            "ResourceLimits": limits,
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ParameterRanges": {
                "IntegerParameterRanges": [
                    {"Name": "step", "MinValue": "1", "MaxValue": "1000", "ScalingType": "Linear"}
                ]
            },
            **config,
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"epochs": "3"},
            "RoleArn": "arn:aws:iam::123456789012:role/execution",
            "AlgorithmSpecification": {"TrainingImage": "image", "TrainingInputMode": "File"},
            "OutputDataConfig": {"S3OutputPath": "s3://bucket/out"},
            "HyperParameterTuningResourceConfig": {
                "InstanceType": "ml.m5.large",
                "InstanceCount": 1,
                "VolumeSizeInGB": 30,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
        "Tags": [{"Key": "CER", "Value": "1"}],
    }


def ended(training: InstantTrainingJobs, tuning_request: dict[str, Any]) -> TuningJob:
    events: list[dict[str, Any]] = []
    registry = TuningJobRegistry(PREFIX, training, events.append)
    job = registry.create(tuning_request)
    deadline = time.monotonic() + 30
    while job.status == "InProgress" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.status != "InProgress", "the tuning job did not end"
    while len(events) < 2 and time.monotonic() < deadline:  # the end's event follows the status
        time.sleep(0.05)
    assert [e["HyperParameterTuningJobStatus"] for e in events] == ["InProgress", job.status]
    return job


def test_it_launches_max_jobs_training_jobs_named_and_tagged_as_sagemaker_does() -> None:
    training = InstantTrainingJobs(lambda h: float(h["step"]))
    job = ended(training, request("steps"))
    assert job.status == "Completed"
    assert [r["TrainingJobName"][:10] for r in training.requests] == [f"steps-00{i}-" for i in range(1, 7)]
    first = training.requests[0]
    assert first["HyperParameters"]["epochs"] == "3" and first["HyperParameters"]["_tuning_objective_metric"] == "loss"
    assert first["ResourceConfig"] == {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}
    assert (first["Tags"], first["TuningJobArn"]) == ([{"Key": "CER", "Value": "1"}], f"{PREFIX}steps")
    described = job.describe()
    best = min(training.requests, key=lambda r: int(r["HyperParameters"]["step"]))
    assert described["BestTrainingJob"]["TrainingJobName"] == best["TrainingJobName"]
    assert described["TrainingJobStatusCounters"]["Completed"] == 6


def test_reaching_the_target_objective_stops_launching() -> None:
    training = InstantTrainingJobs(lambda h: 0.0)
    job = ended(training, request("target", TuningJobCompletionCriteria={"TargetObjectiveMetricValue": 0.5}))
    # The first one ends at once, at the target: no second one starts.
    assert len(training.requests) == 1 and job.status == "Completed"


def test_a_best_objective_not_improving_for_n_jobs_stops_launching() -> None:
    training = InstantTrainingJobs(lambda h: 1.0)
    criteria = {"BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 2}}
    job = ended(training, request("patience", max_jobs=20, TuningJobCompletionCriteria=criteria))
    assert len(training.requests) == 3  # the first sets the best, two more do not improve it
    assert job.describe()["TuningJobCompletionDetails"]["NumberOfTrainingJobsObjectiveNotImproving"] == 2


def test_no_training_job_succeeding_fails_the_tuning_job_with_sagemaker_s_reason() -> None:
    job = ended(InstantTrainingJobs(lambda h: None), request("failing", max_jobs=3))
    assert (job.status, job.failure_reason) == ("Failed", no_training_job_succeeded(3))
    assert job.describe()["TrainingJobStatusCounters"]["NonRetryableError"] == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"Strategy": "Random", "ResourceLimits": {"MaxParallelTrainingJobs": 1}},
            "MaxNumberOfTrainingJobs is required",
        ),
        ({"Strategy": "Grid"}, "Grid strategy supports only categorical"),
    ],
)
def test_requests_sagemaker_refuses_are_refused_before_anything_runs(change: dict[str, Any], message: str) -> None:
    refused = request("refused")
    refused["HyperParameterTuningJobConfig"].update(change)
    training = InstantTrainingJobs(lambda h: 1.0)
    with pytest.raises(TrainingJobError, match=message):
        TuningJobRegistry(PREFIX, training, lambda described: None).create(refused)
    assert training.requests == []


def test_a_second_tuning_job_of_the_same_name_is_refused() -> None:
    registry = TuningJobRegistry(PREFIX, InstantTrainingJobs(lambda h: 1.0), lambda described: None)
    registry.create(request("twice", max_jobs=1))
    with pytest.raises(TrainingJobError, match="already exists") as refused:
        registry.create(request("twice", max_jobs=1))
    assert refused.value.code == "ResourceInUse"
