"""The SageMaker adapter (emulator/adapters/sagemaker.py): training jobs go through their lifecycle,
leave artifact, logs and metrics, stop, fail when asked, and refuse what SageMaker refuses."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from adapter_resources import final_job, training_request, unique
from botocore.config import Config
from botocore.exceptions import ClientError
from execution_waits import all_job_names, wait_for

from platform_contract import COST_TAG_KEY, COST_TAG_VALUE, TRAINING_JOB_LOG_GROUP


# give_training_jobs_a_lifecycle -----------------------------------------------------------------
def test_a_training_job_goes_through_its_statuses_and_leaves_artifact_logs_and_metrics(
    emulator: Any, output_bucket: str
) -> None:
    sagemaker = emulator.client("sagemaker")
    name = unique("job")
    sagemaker.create_training_job(**training_request(name, output_bucket))
    first = sagemaker.describe_training_job(TrainingJobName=name)
    assert (first["TrainingJobStatus"], first["SecondaryStatus"]) == ("InProgress", "Starting")

    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{output_bucket}/models/{name}/output/model.tar.gz"
    emulator.client("s3").head_object(Bucket=output_bucket, Key=f"models/{name}/output/model.tar.gz")
    assert [m["MetricName"] for m in job["FinalMetricDataList"]] == ["loss"]
    assert job["TrainingTimeInSeconds"] >= 1 and job["BillableTimeInSeconds"] == job["TrainingTimeInSeconds"]
    assert job["HyperParameters"]["run"].startswith("run-")  # the request's fields, all kept

    logs = emulator.client("logs")
    streams = logs.describe_log_streams(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamNamePrefix=f"{name}/algo-1-")
    stream = streams["logStreams"][0]["logStreamName"]
    messages = [
        e["message"] for e in logs.get_log_events(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=stream)["events"]
    ]
    assert any("loss=" in m for m in messages)
    assert sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"] == [
        {"Key": COST_TAG_KEY, "Value": COST_TAG_VALUE}
    ]


def test_each_instance_logs_on_its_own_stream_while_the_job_trains(emulator: Any, output_bucket: str) -> None:
    sagemaker, logs = emulator.client("sagemaker"), emulator.client("logs")
    name = unique("job")
    request = training_request(name, output_bucket, emulator_seconds="10")  # Training: 4.5 s, a line every ~1 s
    request["ResourceConfig"]["InstanceCount"] = 2
    sagemaker.create_training_job(**request)

    def stream_messages() -> dict[str, list[str]]:
        try:
            streams = logs.describe_log_streams(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamNamePrefix=f"{name}/")
        except logs.exceptions.ResourceNotFoundException:
            return {}  # the session's first job has not written its first line yet
        return {
            s["logStreamName"].split("/")[1].rsplit("-", 1)[0]: [
                e["message"]
                for e in logs.get_log_events(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=s["logStreamName"])[
                    "events"
                ]
            ]
            for s in streams["logStreams"]
        }

    def first_lines_written() -> dict[str, list[str]] | None:
        messages = stream_messages()
        return messages if len(messages) == 2 and all(messages.values()) else None

    during = wait_for(first_lines_written, timeout=30, interval=0.2)
    assert sagemaker.describe_training_job(TrainingJobName=name)["SecondaryStatus"] == "Training"
    assert set(during) == {"algo-1", "algo-2"}
    assert not any("Training complete" in line for lines in during.values() for line in lines)  # more to come

    def last_lines_written() -> dict[str, list[str]] | None:
        # Each stream's last line ("Training seconds") comes just after the job's end.
        messages = stream_messages()
        return (
            messages
            if all(len(lines) > 1 and "Training complete" in lines[-2] for lines in messages.values())
            else None
        )

    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed"
    after = wait_for(last_lines_written, timeout=10, interval=0.2)
    assert after["algo-1"] == after["algo-2"]
    assert any("loss=" in line for line in after["algo-1"])


@pytest.mark.parametrize(("outcome", "reason_start"), [("failed", "AlgorithmError: "), ("capacity", "CapacityError: ")])
def test_a_training_job_fails_when_asked(emulator: Any, output_bucket: str, outcome: str, reason_start: str) -> None:
    sagemaker = emulator.client("sagemaker")
    name = unique("job")
    sagemaker.create_training_job(**training_request(name, output_bucket, emulator_outcome=outcome))
    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith(reason_start)


def test_an_outcome_sequence_fails_the_first_job_and_completes_the_retry(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket, emulator_outcome="capacity,completed")
    sagemaker.create_training_job(**request)
    retry = dict(request, TrainingJobName=unique("retry"))
    sagemaker.create_training_job(**retry)
    assert final_job(sagemaker, request["TrainingJobName"])["TrainingJobStatus"] == "Failed"
    assert final_job(sagemaker, retry["TrainingJobName"])["TrainingJobStatus"] == "Completed"


def test_stop_training_job_stops_it_and_a_stopped_outcome_stops_by_itself(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    long_job = unique("job")
    sagemaker.create_training_job(**training_request(long_job, output_bucket, emulator_seconds="60"))
    sagemaker.stop_training_job(TrainingJobName=long_job)
    assert sagemaker.describe_training_job(TrainingJobName=long_job)["TrainingJobStatus"] in ("Stopping", "Stopped")
    assert final_job(sagemaker, long_job)["TrainingJobStatus"] == "Stopped"

    self_stopping = unique("job")
    sagemaker.create_training_job(**training_request(self_stopping, output_bucket, emulator_outcome="stopped"))
    assert final_job(sagemaker, self_stopping)["TrainingJobStatus"] == "Stopped"


def test_a_duplicate_job_name_and_an_invalid_request_are_refused(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket)
    sagemaker.create_training_job(**request)
    with pytest.raises(ClientError) as duplicate:
        sagemaker.create_training_job(**request)
    assert duplicate.value.response["Error"]["Code"] == "ResourceInUse"

    invalid = {k: v for k, v in training_request(unique("job"), output_bucket).items() if k != "RoleArn"}
    with pytest.raises(ClientError) as refused:
        _send_without_client_validation(emulator, invalid)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "RoleArn" in refused.value.response["Error"]["Message"]
    assert invalid["TrainingJobName"] not in all_job_names(emulator)


def _send_without_client_validation(emulator: Any, request: dict[str, Any]) -> None:
    """Send as Step Functions does, without botocore's client-side parameter validation."""
    raw = boto3.client(
        "sagemaker",
        endpoint_url=emulator.endpoint,
        region_name=emulator.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False),
    )
    raw.create_training_job(**request)
