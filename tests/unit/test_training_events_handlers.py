"""The Notify and WriteResult Lambdas: a finished job's event becomes one SNS message (and one log line the
failed-jobs alarm counts); a request file is read by the version that triggered, and its outcome written beside it."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import boto3
import pytest

import write_result
from platform_contract import NotifyEnvironment
from request_file_store import read_request
from training_events import RequestFile

FAILED_JOB = json.loads((Path(__file__).resolve().parents[1] / "events" / "training-job-failed.json").read_text())


@pytest.fixture()
def topic_inbox(mocked_aws: None, monkeypatch: pytest.MonkeyPatch):
    """A topic (TOPIC_ARN) with a queue subscribed raw, and the handler module loaded against it."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic_arn = sns.create_topic(Name="training-notifications")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv(NotifyEnvironment.TOPIC_ARN.value, topic_arn)
    import notify

    yield importlib.reload(notify), sqs, queue_url


def test_failed_job_is_published_with_reason_and_links(topic_inbox, capsys: pytest.CaptureFixture[str]) -> None:
    handler_module, sqs, queue_url = topic_inbox

    handler_module.handler(FAILED_JOB, None)

    (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "Training job gan-run-0123456789ab failed"
    assert "Failure reason: AlgorithmError: ExecuteUserScriptError: exit code 1\n" in body["Message"]
    assert (
        "Job:            https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/jobs/gan-run-0123456789ab\n"
        in body["Message"]
    )
    # The line the FailedJobs metric filter ({ $.status = "Failed" }) counts.
    assert json.loads(capsys.readouterr().out) == {"job_name": "gan-run-0123456789ab", "status": "Failed"}


@pytest.fixture()
def versioned_bucket(mocked_aws: None):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="mltrain-data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket="mltrain-data", VersioningConfiguration={"Status": "Enabled"})
    import request_file_store

    importlib.reload(request_file_store)  # its S3 client is made at import: make it inside moto
    yield s3


def test_the_version_that_triggered_is_read_even_after_a_new_upload(versioned_bucket) -> None:
    s3 = versioned_bucket
    first = s3.put_object(Bucket="mltrain-data", Key="requests/gan.json", Body=b'{"instance_type": "ml.m5.large"}')
    s3.put_object(Bucket="mltrain-data", Key="requests/gan.json", Body=b'{"instance_type": "ml.g5.xlarge"}')

    request = RequestFile("mltrain-data", "requests/gan.json", first["VersionId"], None)
    assert read_request(request) == b'{"instance_type": "ml.m5.large"}'
    assert (
        read_request(RequestFile("mltrain-data", "requests/gan.json", None, None))
        == b'{"instance_type": "ml.g5.xlarge"}'
    )


def test_result_is_written_beside_the_request(versioned_bucket) -> None:
    s3 = versioned_bucket

    output = write_result.handler(
        {
            "request_file": {"bucket": "mltrain-data", "key": "requests/gan.json", "version_id": "v1", "etag": None},
            "status": "Invalid",
            "errors": ["instance_type: must be an ml.* instance type (got 'm5')"],
        },
        None,
    )

    assert output == {"result": "s3://mltrain-data/requests/gan.result.json", "written": True}
    written = s3.get_object(Bucket="mltrain-data", Key="requests/gan.result.json")
    assert written["ContentType"] == "application/json"
    assert json.loads(written["Body"].read()) == {
        "request": "s3://mltrain-data/requests/gan.json",
        "request_version": "v1",
        "status": "Invalid",
        "errors": ["instance_type: must be an ml.* instance type (got 'm5')"],
    }


def test_result_writer_refuses_an_unknown_status(versioned_bucket) -> None:
    with pytest.raises(ValueError, match="'Done' is not a valid RequestStatus"):
        write_result.handler(
            {"request_file": {"bucket": "mltrain-data", "key": "requests/gan.json"}, "status": "Done"}, None
        )


def _write(status: str, **fields: object) -> dict:
    location = {"bucket": "mltrain-data", "key": "requests/gan.json", "version_id": "v1", "etag": None}
    return write_result.handler({"request_file": location, "status": status, **fields}, None)


def test_a_duplicate_never_replaces_the_outcome_of_the_first_delivery(versioned_bucket) -> None:
    s3 = versioned_bucket
    _write("Completed", job_name="gan-0123456789ab", model_artifacts="s3://a/gan/model.tar.gz")

    output = _write("Duplicate", job_name="gan-0123456789ab")

    assert output["written"] is False
    written = json.loads(s3.get_object(Bucket="mltrain-data", Key="requests/gan.result.json")["Body"].read())
    assert written["status"] == "Completed"


def test_a_duplicate_is_noted_while_the_first_job_has_no_outcome_yet(versioned_bucket) -> None:
    s3 = versioned_bucket

    assert _write("Duplicate", job_name="gan-0123456789ab")["written"] is True
    written = json.loads(s3.get_object(Bucket="mltrain-data", Key="requests/gan.result.json")["Body"].read())
    assert (written["status"], written["job_name"]) == ("Duplicate", "gan-0123456789ab")
    # The first execution's outcome, written when its job ends, replaces the note.
    _write("Completed", job_name="gan-0123456789ab")
    written = json.loads(s3.get_object(Bucket="mltrain-data", Key="requests/gan.result.json")["Body"].read())
    assert written["status"] == "Completed"
