"""The Prepare Lambda for event-triggered executions: request files read from S3 (moto), image pushes and
schedules turned into requests, the event's job name, ignored events and invalid request files."""

from __future__ import annotations

import copy
import importlib
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

import prepare as prepare_step
from training_request import InvalidTrainingInput

EVENTS = Path(__file__).resolve().parents[1] / "events"
REGION = "eu-west-1"
DATA_BUCKET = "mltrain-data"
ENVIRONMENT = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "DEFAULT_ROLE_ARN": "arn:aws:iam::111122223333:role/mltrain-dev-execution",
    "DEFAULT_IMAGE_URI": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mltrain-training:latest",
    "DEFAULT_OUTPUT_PATH": "s3://mltrain-artifacts/",
    "DEFAULT_CHECKPOINT_S3_URI": "s3://mltrain-checkpoints/",
    "REQUEST_PREFIX": "requests/",
    "RESULT_PREFIX": "results/",
    "IMAGE_TAG_PATTERN": "release-*",
    "IMAGE_PUSH_REQUEST": json.dumps({"instance_type": "ml.m5.xlarge", "instance_count": 1}),
    "SCHEDULED_REQUEST": json.dumps({"instance_type": "ml.g5.xlarge", "instance_count": 1}),
}
REQUEST = {
    "instance_type": "ml.m5.large",
    "instance_count": 1,
    "inputs": {"nome_modello": f"s3://{DATA_BUCKET}/gan/train/"},
}
JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture()
def data_bucket(mocked_aws: None, monkeypatch: pytest.MonkeyPatch):
    """A versioned data bucket in moto; put(key, body) uploads and returns the S3 event EventBridge would send."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=DATA_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=DATA_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    import request_file_store

    importlib.reload(request_file_store)  # its client is made at import: make it inside moto

    def put(key: str, body: bytes) -> dict[str, Any]:
        response = s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
        event = copy.deepcopy(sample("s3-object-created"))
        event["detail"]["bucket"]["name"] = DATA_BUCKET
        event["detail"]["object"].update(
            key=key, etag=response["ETag"].strip('"'), **{"version-id": response["VersionId"]}
        )
        return event

    yield put


def prepare(execution_input: object, **extra: object) -> dict[str, Any]:
    return prepare_step.handler({"input": execution_input, **extra}, None)


def test_a_request_file_is_read_and_named_after_its_version(data_bucket) -> None:
    event = data_bucket("requests/gan-run.json", json.dumps({**REQUEST, "job_name": "my-own-name"}).encode())

    result = prepare(event)

    assert result["job_name_origin"] == "event"
    assert result["job_name"].startswith("gan-run-") and JOB_NAME.match(result["job_name"])
    # The event's name wins over one in the file: a redelivery must meet the same name.
    assert result["request"]["TrainingJobName"] == result["job_name"] != "my-own-name"
    assert result["request"]["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    assert result["request_file"] == {
        "bucket": DATA_BUCKET,
        "key": "requests/gan-run.json",
        "version_id": event["detail"]["object"]["version-id"],
        "etag": event["detail"]["object"]["etag"],
    }
    assert result["trigger"]["kind"] == "request-file"
    # The same event delivered again gives the same name.
    assert prepare(event)["job_name"] == result["job_name"]


def test_a_script_mode_request_file_tells_the_container_the_events_job_name(data_bucket) -> None:
    archive = f"s3://{DATA_BUCKET}/code/gan/sourcedir.tar.gz"
    script_mode = {**REQUEST, "entry_point": "train.py", "source_dir": archive, "hyperparameters": {"epochs": 5}}
    result = prepare(data_bucket("requests/gan-script.json", json.dumps(script_mode).encode()))

    hyperparameters = result["request"]["HyperParameters"]
    assert hyperparameters["sagemaker_job_name"] == json.dumps(result["job_name"])
    assert hyperparameters["sagemaker_submit_directory"] == json.dumps(archive)
    assert hyperparameters["sagemaker_program"] == '"train.py"'
    assert hyperparameters["epochs"] == "5"


def test_a_request_file_with_a_local_source_dir_returns_what_to_do(data_bucket) -> None:
    local = {**REQUEST, "entry_point": "train.py", "source_dir": "./src"}
    result = prepare(data_bucket("requests/gan-local.json", json.dumps(local).encode()))

    (line,) = result["invalid"]
    assert line.startswith("source_dir: is a local directory") and "s3:// URI" in line


def test_the_triggering_version_is_trained_and_a_new_version_is_a_new_job(data_bucket) -> None:
    first = data_bucket("requests/gan-run.json", json.dumps(REQUEST).encode())
    second = data_bucket("requests/gan-run.json", json.dumps({**REQUEST, "instance_type": "ml.g5.2xlarge"}).encode())

    trained_first, trained_second = prepare(first), prepare(second)

    assert trained_first["request"]["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    assert trained_second["request"]["ResourceConfig"]["InstanceType"] == "ml.g5.2xlarge"
    assert trained_first["job_name"] != trained_second["job_name"]


def test_an_invalid_request_file_returns_its_errors_for_the_result_file(data_bucket) -> None:
    event = data_bucket("requests/bad.json", json.dumps({"instance_type": "m5.large", "instance_count": 0}).encode())

    result = prepare(event)

    assert set(result) == {"invalid", "request_file", "trigger"}
    assert result["request_file"]["key"] == "requests/bad.json"
    assert any(line.startswith("instance_type") for line in result["invalid"])
    assert any(line.startswith("instance_count") for line in result["invalid"])


def test_a_request_file_that_is_not_json_is_invalid(data_bucket) -> None:
    result = prepare(data_bucket("requests/broken.json", b'{"instance_type": "ml.m5.large",'))

    (line,) = result["invalid"]
    assert "requests/broken.json" in line and "not a JSON document" in line


def test_a_capacity_retry_of_an_event_gets_a_fresh_name_still_derived_from_the_event(data_bucket) -> None:
    event = data_bucket("requests/gan-run.json", json.dumps(REQUEST).encode())

    names = [prepare(event, capacity_retries=attempt)["job_name"] for attempt in (0, 1, 2, 1)]

    assert len(set(names[:3])) == 3
    assert names[3] == names[1]
    assert all(name.startswith("gan-run-") and JOB_NAME.match(name) for name in names)


def test_result_files_are_ignored_without_reading_anything(data_bucket) -> None:
    # The request rule never sends one (results are under another prefix): a hand-sent event, say.
    event = data_bucket("results/gan-run.json", b"{}")

    result = prepare(event)

    assert set(result) == {"ignored"}
    assert "result file" in result["ignored"]


def test_an_image_push_trains_the_pushed_digest_with_the_configured_request(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    event = sample("ecr-image-action")

    result = prepare(event)

    digest = event["detail"]["image-digest"]
    image = f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/mltrain-training@{digest}"
    assert result["request"]["AlgorithmSpecification"]["TrainingImage"] == image
    assert result["request"]["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert result["job_name_origin"] == "event" and result["request_file"] is None
    assert result["job_name"] == prepare(event)["job_name"]


def test_a_push_with_another_tag_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    event = sample("ecr-image-action")
    event["detail"]["image-tag"] = "dev-7"

    assert "does not match" in prepare(event)["ignored"]


def test_a_schedule_trains_the_scheduled_request_once_per_firing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    event = sample("scheduled-event")
    next_night = {**event, "time": "2024-10-09T16:53:06Z"}

    tonight = prepare(event)

    assert tonight["request"]["ResourceConfig"]["InstanceType"] == "ml.g5.xlarge"
    assert tonight["job_name"].startswith("mltrain-nightly-training-")
    assert prepare(next_night)["job_name"] != tonight["job_name"]


@pytest.mark.parametrize(("extra", "origin"), [({"job_name": "gan-run-7"}, "input"), ({}, "generated")])
def test_a_console_input_says_where_its_job_name_comes_from(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, str], origin: str
) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)

    result = prepare({**REQUEST, **extra}, capacity_retries=1)

    assert result["job_name_origin"] == origin
    assert result["trigger"] == {"kind": "console", "source": "console input"}
    assert result["request_file"] is None


def test_invalid_console_input_still_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(InvalidTrainingInput):
        prepare({"instance_type": "m5.large"})


TUNER = {
    "objective_metric_name": "loss",
    "metric_definitions": [{"Name": "loss", "Regex": "loss=(.*?);"}],
    "hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.001, "max_value": 0.1}},
}


def test_a_tuning_request_file_names_its_tuning_job_after_the_event_in_32_characters(data_bucket) -> None:
    key = "requests/a-rather-long-team-folder/gan-tuning-run.json"
    event = data_bucket(key, json.dumps({**REQUEST, "tuner": TUNER}).encode())

    first, again = prepare(event), prepare(event)

    assert first["request_kind"] == "tuning" and first["job_name_origin"] == "event"
    name = first["tuning_job_name"]
    assert name == first["request"]["HyperParameterTuningJobName"] == again["tuning_job_name"]
    assert len(name) <= 32 and re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}", name)
    # The hash of the event is kept whole, so another upload of the file gets another name.
    other = prepare(data_bucket(key, json.dumps({**REQUEST, "tuner": TUNER, "max_run": 3600}).encode()))
    assert other["tuning_job_name"] != name and other["tuning_job_name"].rsplit("-", 1)[0] == name.rsplit("-", 1)[0]


def test_an_invalid_tuning_request_file_is_reported_for_its_result_file(data_bucket) -> None:
    event = data_bucket("requests/bad-tuning.json", json.dumps({**REQUEST, "tuner": {**TUNER, "max_jobs": 0}}).encode())
    result = prepare(event)
    assert any(line.startswith("tuner.max_jobs:") for line in result["invalid"])
