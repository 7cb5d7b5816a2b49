"""Warm pools in the emulator (emulator/warm_pools.py, served by the SageMaker adapter), as boto3 and the
real SageMaker SDK see them: a job with a keep-alive period leaves an Available pool, a matching job
takes it over and starts faster, the pool ends Terminated after its period, UpdateTrainingJob changes or
ends it, ListTrainingJobs filters by its status. Each test has its own role, so no other job in the
session matches its pools."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from adapter_resources import IMAGE, final_job, training_request, unique
from botocore.config import Config
from botocore.exceptions import ClientError
from execution_waits import wait_for

from platform_contract import COST_TAG_KEY, COST_TAG_VALUE


def pooled_request(name: str, bucket: str, role: str, keep_alive: int, **hyperparameters: str) -> dict[str, Any]:
    request = training_request(name, bucket, **hyperparameters)
    request["RoleArn"] = role
    request["ResourceConfig"]["KeepAlivePeriodInSeconds"] = keep_alive
    return request


def own_role() -> str:
    return f"arn:aws:iam::123456789012:role/{unique('pool')}"


def pool_of(sagemaker: Any, name: str) -> dict[str, Any] | None:
    pool: dict[str, Any] | None = sagemaker.describe_training_job(TrainingJobName=name).get("WarmPoolStatus")
    return pool


def starting_seconds(job: dict[str, Any]) -> float:
    starting = next(t for t in job["SecondaryStatusTransitions"] if t["Status"] == "Starting")
    return float((starting["EndTime"] - starting["StartTime"]).total_seconds())


# give_training_jobs_a_lifecycle: warm pools ------------------------------------------------------------
def test_a_matching_job_reuses_the_pool_and_starts_faster(emulator: Any, output_bucket: str) -> None:
    sagemaker, role = emulator.client("sagemaker"), own_role()
    first, second = unique("pooled"), unique("reuser")
    sagemaker.create_training_job(**pooled_request(first, output_bucket, role, 60, emulator_seconds="8"))
    assert "WarmPoolStatus" not in sagemaker.describe_training_job(TrainingJobName=first)  # none while it runs
    cold = final_job(sagemaker, first)
    assert cold["TrainingJobStatus"] == "Completed"
    assert cold["WarmPoolStatus"]["Status"] == "Available"
    assert cold["WarmPoolStatus"]["ResourceRetainedBillableTimeInSeconds"] >= 0

    sagemaker.create_training_job(**pooled_request(second, output_bucket, role, 2, emulator_seconds="8"))
    reused = pool_of(sagemaker, first)
    assert reused is not None and (reused["Status"], reused["ReusedByJob"]) == ("Reused", second)
    waited = reused["ResourceRetainedBillableTimeInSeconds"]  # from the first job's end to the second's creation
    assert 0 <= waited <= (datetime.now(UTC) - cold["TrainingEndTime"]).total_seconds() + 1
    assert pool_of(sagemaker, second) == {"Status": "InUse"}
    warm = final_job(sagemaker, second)
    assert warm["TrainingJobStatus"] == "Completed"
    # Starting is 25 % of 8 s on new instances; on the pool's, a tenth of that.
    assert starting_seconds(cold) >= 1.9
    assert starting_seconds(warm) < starting_seconds(cold) / 2
    assert warm["WarmPoolStatus"]["Status"] in ("Available", "Terminated")
    # After its own keep-alive period (2 s), the pool is terminated: it waited 2 s in all.
    ended = wait_for(lambda: (pool_of(sagemaker, second) or {}).get("Status") == "Terminated", timeout=30)
    assert ended
    assert pool_of(sagemaker, second) == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 2}


def test_a_job_that_does_not_match_starts_cold_and_leaves_the_pool_available(emulator: Any, output_bucket: str) -> None:
    sagemaker, role = emulator.client("sagemaker"), own_role()
    first, other = unique("pooled"), unique("other")
    sagemaker.create_training_job(**pooled_request(first, output_bucket, role, 60))
    assert final_job(sagemaker, first)["WarmPoolStatus"]["Status"] == "Available"
    request = pooled_request(other, output_bucket, role, 60)
    request["ResourceConfig"]["InstanceCount"] = 2  # the instance count must match
    sagemaker.create_training_job(**request)
    assert pool_of(sagemaker, other) is None
    assert pool_of(sagemaker, first)["Status"] == "Available"  # type: ignore[index]
    final_job(sagemaker, other)


def test_a_job_failed_for_capacity_keeps_no_pool(emulator: Any, output_bucket: str) -> None:
    sagemaker, name = emulator.client("sagemaker"), unique("capacity")
    sagemaker.create_training_job(**pooled_request(name, output_bucket, own_role(), 60, emulator_outcome="capacity"))
    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["WarmPoolStatus"] == {"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 0}


def test_update_training_job_changes_the_keep_alive_period_and_zero_terminates(
    emulator: Any, output_bucket: str
) -> None:
    sagemaker, name = emulator.client("sagemaker"), unique("pooled")
    sagemaker.create_training_job(**pooled_request(name, output_bucket, own_role(), 3))
    final_job(sagemaker, name)
    sagemaker.update_training_job(TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": 3600})
    assert pool_of(sagemaker, name)["Status"] == "Available"  # type: ignore[index]
    listed = [
        summary["TrainingJobName"]
        for page in sagemaker.get_paginator("list_training_jobs").paginate(WarmPoolStatusEquals="Available")
        for summary in page["TrainingJobSummaries"]
    ]
    assert name in listed

    answer = sagemaker.update_training_job(TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": 0})
    assert answer["TrainingJobArn"].endswith(f":training-job/{name}")
    assert pool_of(sagemaker, name)["Status"] == "Terminated"  # type: ignore[index]
    with pytest.raises(ClientError, match="not Available") as refused:
        sagemaker.update_training_job(TrainingJobName=name, ResourceConfig={"KeepAlivePeriodInSeconds": 60})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    terminated = [
        summary
        for page in sagemaker.get_paginator("list_training_jobs").paginate(WarmPoolStatusEquals="Terminated")
        for summary in page["TrainingJobSummaries"]
        if summary["TrainingJobName"] == name
    ]
    assert [summary["WarmPoolStatus"]["Status"] for summary in terminated] == ["Terminated"]


def test_a_warm_pool_status_outside_the_enum_is_refused(emulator: Any) -> None:
    client = boto3.client(
        "sagemaker",
        endpoint_url=emulator.endpoint,
        region_name=emulator.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False),
    )
    with pytest.raises(ClientError, match="warmPoolStatusEquals"):
        client.list_training_jobs(WarmPoolStatusEquals="Warm")


# The real SageMaker SDK (the sdk_session fixture: conftest.py) ------------------------------------------
def test_the_sdk_creates_reuses_reads_and_terminates_a_warm_pool(
    emulator: Any, output_bucket: str, sdk_session: Any
) -> None:
    from sagemaker.estimator import Estimator

    role, sagemaker = own_role(), emulator.client("sagemaker")

    def estimator(keep_alive: int) -> Any:
        return Estimator(
            image_uri=IMAGE,
            role=role,
            instance_type="ml.m5.large",
            instance_count=1,
            volume_size=30,
            output_path=f"s3://{output_bucket}/sdk",
            keep_alive_period_in_seconds=keep_alive,
            hyperparameters={"run": unique("run"), "emulator_seconds": "6"},
            sagemaker_session=sdk_session,
            tags=[{"Key": COST_TAG_KEY, "Value": COST_TAG_VALUE}],  # as every job of the session
        )

    first = estimator(600)
    first.fit(wait=False)
    first_job = first.latest_training_job.name
    final_job(sagemaker, first_job)
    attached = Estimator.attach(first_job, sagemaker_session=sdk_session)
    assert attached.keep_alive_period_in_seconds == 600
    assert attached.latest_training_job.describe()["WarmPoolStatus"]["Status"] == "Available"

    second = estimator(600)
    second.fit(wait=False)
    second_job = second.latest_training_job.name
    assert sdk_session.describe_training_job(first_job)["WarmPoolStatus"]["ReusedByJob"] == second_job
    assert sdk_session.describe_training_job(second_job)["WarmPoolStatus"] == {"Status": "InUse"}
    final_job(sagemaker, second_job)
    sdk_session.update_training_job(second_job, resource_config={"KeepAlivePeriodInSeconds": 0})
    assert sdk_session.describe_training_job(second_job)["WarmPoolStatus"]["Status"] == "Terminated"
