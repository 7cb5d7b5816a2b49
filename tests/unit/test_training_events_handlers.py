"""The Notify and WriteResult Lambdas: a finished job's event becomes one SNS message (and one log line the
failed-jobs alarm counts); a request file is read by the version that triggered, and its outcome written at its
path under the result prefix, one version per upload."""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path

import boto3
import pytest

import write_result
from platform_contract import NotifyEnvironment, WriteResultEnvironment
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
def versioned_bucket(mocked_aws: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(WriteResultEnvironment.REQUEST_PREFIX.value, "requests/")
    monkeypatch.setenv(WriteResultEnvironment.RESULT_PREFIX.value, "results/")
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


def stored_result(s3, key: str, version_id: str | None = None) -> dict:
    arguments = {"Bucket": "mltrain-data", "Key": key} | ({"VersionId": version_id} if version_id else {})
    return json.loads(s3.get_object(**arguments)["Body"].read())


@pytest.mark.parametrize(
    ("request_key", "result_key"),
    [("requests/gan.json", "results/gan.json"), ("requests/team/a/gan.json", "results/team/a/gan.json")],
)
def test_the_result_is_written_at_the_request_s_path_under_the_result_prefix(
    versioned_bucket, request_key: str, result_key: str
) -> None:
    s3 = versioned_bucket

    output = write_result.handler(
        {
            "request_file": {"bucket": "mltrain-data", "key": request_key, "version_id": "v1", "etag": None},
            "status": "Invalid",
            "errors": ["instance_type: must be an ml.* instance type (got 'm5')"],
        },
        None,
    )

    assert output == {"result": f"s3://mltrain-data/{result_key}", "written": True}
    written = s3.get_object(Bucket="mltrain-data", Key=result_key)
    assert written["ContentType"] == "application/json"
    assert json.loads(written["Body"].read()) == {
        "request": f"s3://mltrain-data/{request_key}",
        "request_version_id": "v1",
        "status": "Invalid",
        "errors": ["instance_type: must be an ml.* instance type (got 'm5')"],
    }
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="mltrain-data", Prefix="requests/").get("Contents", [])] == []


def test_each_upload_s_result_stays_readable_as_a_version_of_the_result(versioned_bucket) -> None:
    s3 = versioned_bucket
    _write("Completed", job_name="gan-0123456789ab", version_id="v1")
    _write("Invalid", errors=["instance_count: must be at least 1"], version_id="v2")

    versions = s3.list_object_versions(Bucket="mltrain-data", Prefix="results/gan.json")["Versions"]

    answered = [stored_result(s3, "results/gan.json", v["VersionId"])["request_version_id"] for v in versions]
    assert sorted(answered) == ["v1", "v2"]
    assert stored_result(s3, "results/gan.json")["request_version_id"] == "v2"  # the latest written


def test_result_writer_refuses_an_unknown_status(versioned_bucket) -> None:
    with pytest.raises(ValueError, match="'Done' is not a valid RequestStatus"):
        write_result.handler(
            {"request_file": {"bucket": "mltrain-data", "key": "requests/gan.json"}, "status": "Done"}, None
        )


def _write(status: str, version_id: str = "v1", **fields: object) -> dict:
    location = {"bucket": "mltrain-data", "key": "requests/gan.json", "version_id": version_id, "etag": None}
    return write_result.handler({"request_file": location, "status": status, **fields}, None)


def test_a_duplicate_never_replaces_the_outcome_of_the_first_delivery(versioned_bucket) -> None:
    s3 = versioned_bucket
    _write("Completed", job_name="gan-0123456789ab", model_artifacts="s3://a/gan/model.tar.gz")

    output = _write("Duplicate", job_name="gan-0123456789ab")

    assert output["written"] is False
    written = stored_result(s3, "results/gan.json")
    assert written["status"] == "Completed"


def test_a_duplicate_is_noted_while_the_first_job_has_no_outcome_yet(versioned_bucket) -> None:
    s3 = versioned_bucket

    assert _write("Duplicate", job_name="gan-0123456789ab")["written"] is True
    written = stored_result(s3, "results/gan.json")
    assert (written["status"], written["job_name"]) == ("Duplicate", "gan-0123456789ab")
    # The first execution's outcome, written when its job ends, replaces the note.
    _write("Completed", job_name="gan-0123456789ab")
    written = stored_result(s3, "results/gan.json")
    assert written["status"] == "Completed"


def s3_event(key: str, **object_fields: str) -> dict:
    return {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "mltrain-data"}, "object": {"key": key, **object_fields}},
    }


def test_a_failure_before_prepare_named_the_file_is_written_for_the_file_the_event_names(versioned_bucket) -> None:
    # Even an event Prepare refused (neither version nor ETag) names the file whose result says why.
    output = write_result.handler(
        {"event": s3_event("requests/gan.json"), "status": "Failed", "failure_reason": "MalformedEvent: ..."}, None
    )

    assert output == {"result": "s3://mltrain-data/results/gan.json", "written": True}
    assert stored_result(versioned_bucket, "results/gan.json") == {
        "request": "s3://mltrain-data/requests/gan.json",
        "status": "Failed",
        "failure_reason": "MalformedEvent: ...",
    }


def test_no_result_is_written_for_a_result_file_or_for_an_input_that_names_no_file(versioned_bucket) -> None:
    event = s3_event("results/gan.json", **{"version-id": "v1"})
    assert write_result.handler({"event": event, "status": "Failed"}, None)["written"] is False
    assert "Contents" not in versioned_bucket.list_objects_v2(Bucket="mltrain-data")
    with pytest.raises(ValueError, match="request_file"):
        write_result.handler({"event": {"instance_type": "ml.m5.large"}, "status": "Failed"}, None)


@pytest.fixture()
def runtime_with_an_old_botocore(versioned_bucket, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """The result writer as a Lambda runtime whose botocore predates S3 conditional writes loads it."""
    import botocore

    import request_file_store

    monkeypatch.setattr(botocore, "__version__", "1.34.162")
    with caplog.at_level(logging.WARNING):
        importlib.reload(request_file_store)
    monkeypatch.setattr(write_result, "write_result", request_file_store.write_result)
    yield caplog
    monkeypatch.undo()
    importlib.reload(request_file_store)


def test_with_an_old_botocore_a_duplicate_still_never_replaces_a_result(runtime_with_an_old_botocore) -> None:
    caplog = runtime_with_an_old_botocore
    # One clear line when the function starts, naming the version found and the one with conditional writes.
    (warning,) = [record.getMessage() for record in caplog.get_records("setup") if record.levelno == logging.WARNING]
    assert "botocore 1.34.162 predates S3 conditional writes" in warning and "1.35.2" in warning

    _write("Completed", job_name="gan-0123456789ab")
    assert _write("Duplicate", job_name="gan-0123456789ab")["written"] is False  # S3 refused: the header was sent


def test_with_an_old_botocore_a_duplicate_is_noted_where_there_is_no_result(runtime_with_an_old_botocore) -> None:
    assert _write("Duplicate", job_name="gan-0123456789ab")["written"] is True
