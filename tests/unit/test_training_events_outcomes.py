"""What users are told: the result file of a request (where, what), and the notification for a finished job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platform_contract import result_key as platform_result_key
from training_events import (
    MalformedEvent,
    RequestFile,
    RequestStatus,
    console_links,
    job_state_notification,
    result_body,
    result_document,
)

REQUEST = RequestFile("mltrain-data", "requests/gan-run.json", "v2", "etag-1")
UNVERSIONED = RequestFile("mltrain-data", "requests/gan-run.json", None, "etag-1")


# --- Result files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "result_key"),
    [
        ("requests/gan-run.json", "results/gan-run.json"),
        ("requests/team/a.b.json", "results/team/a.b.json"),
        # Outside the request prefix (it changed while the execution ran): the whole path, under results/.
        ("incoming/gan-run.json", "results/incoming/gan-run.json"),
    ],
)
def test_the_result_has_the_request_s_path_under_the_result_prefix(key: str, result_key: str) -> None:
    assert platform_result_key(key, request_prefix="requests/", result_prefix="results/") == result_key


def test_completed_result_gives_the_job_and_its_model() -> None:
    document = result_document(
        REQUEST,
        status=RequestStatus.COMPLETED,
        job_name="gan-run-0123456789ab",
        model_artifacts="s3://mltrain-artifacts/gan-run-0123456789ab/output/model.tar.gz",
        links={"console": "c", "logs": "l"},
        execution_arn="arn:aws:states:eu-west-1:111122223333:execution:training:abc",
    )

    assert document == {
        "request": "s3://mltrain-data/requests/gan-run.json",
        "request_version_id": "v2",
        "status": "Completed",
        "job_name": "gan-run-0123456789ab",
        "model_artifacts": "s3://mltrain-artifacts/gan-run-0123456789ab/output/model.tar.gz",
        "links": {"console": "c", "logs": "l"},
        "execution_arn": "arn:aws:states:eu-west-1:111122223333:execution:training:abc",
    }


def test_invalid_result_lists_every_error_and_no_job() -> None:
    errors = ["instance_type: must be an ml.* instance type (got 'm5')", "max_wait: must be at least max_run (got 10)"]

    document = result_document(UNVERSIONED, status=RequestStatus.INVALID, errors=errors)

    assert document == {"request": "s3://mltrain-data/requests/gan-run.json", "status": "Invalid", "errors": errors}


@pytest.mark.parametrize("status", [RequestStatus.FAILED, RequestStatus.STOPPED])
def test_failed_or_stopped_result_gives_the_reason(status: RequestStatus) -> None:
    document = result_document(REQUEST, status=status, job_name="j", failure_reason="AlgorithmError: boom")

    assert document["status"] == status.value
    assert document["failure_reason"] == "AlgorithmError: boom"
    assert "model_artifacts" not in document


def test_duplicate_result_names_the_job_that_already_trained() -> None:
    document = result_document(REQUEST, status=RequestStatus.DUPLICATE, job_name="gan-run-0123456789ab")

    assert document["status"] == "Duplicate"
    assert document["job_name"] == "gan-run-0123456789ab"


def test_result_body_is_readable_json() -> None:
    document = result_document(REQUEST, status=RequestStatus.INVALID, errors=["hyperparameters.età: too long"])

    body = result_body(document)
    assert json.loads(body) == document
    assert "età".encode() in body and body.endswith(b"}\n")


# --- Notifications ------------------------------------------------------------------------------

FAILED_JOB = json.loads((Path(__file__).resolve().parents[1] / "events" / "training-job-failed.json").read_text())


def with_detail(**changes: object) -> dict:
    event = json.loads(json.dumps(FAILED_JOB))
    for key, value in changes.items():
        if value is None:
            event["detail"].pop(key, None)
        else:
            event["detail"][key] = value
    return event


def test_failed_job_notification_says_why_how_long_and_where_to_look() -> None:
    notification = job_state_notification(FAILED_JOB)

    links = console_links("gan-run-0123456789ab", "eu-west-1")
    assert (notification.job_name, notification.status) == ("gan-run-0123456789ab", "Failed")
    assert notification.subject == "Training job gan-run-0123456789ab failed"
    assert notification.message == (
        "Training job gan-run-0123456789ab: Failed\n"
        "\n"
        "Status:         Failed\n"
        "Failure reason: AlgorithmError: ExecuteUserScriptError: exit code 1\n"
        "Duration:       1 h 02 min 03 s, billable 1 h 02 min 03 s\n"
        "Model artifact: none\n"
        f"Job:            {links['console']}\n"
        f"Logs:           {links['logs']}\n"
    )


def test_completed_job_notification_gives_the_model_artifact() -> None:
    event = with_detail(TrainingJobStatus="Completed", SecondaryStatus="Completed", FailureReason=None)

    notification = job_state_notification(event)

    assert notification.subject == "Training job gan-run-0123456789ab completed"
    assert "Model artifact: s3://mltrain-artifacts/gan-run-0123456789ab/output/model.tar.gz\n" in notification.message
    assert "Failure reason" not in notification.message


def test_stopped_job_notification_shows_the_secondary_status() -> None:
    event = with_detail(
        TrainingJobStatus="Stopped",
        SecondaryStatus="MaxRuntimeExceeded",
        FailureReason=None,
        BillableTimeInSeconds=None,
    )

    notification = job_state_notification(event)

    assert notification.subject == "Training job gan-run-0123456789ab stopped"
    assert "Status:         Stopped (MaxRuntimeExceeded)\n" in notification.message
    assert "Duration:       1 h 02 min 03 s\n" in notification.message


def test_a_notification_without_a_region_has_no_links() -> None:
    event = {key: value for key, value in FAILED_JOB.items() if key != "region"}

    message = job_state_notification(event).message

    assert "Job:" not in message and "Logs:" not in message


@pytest.mark.parametrize(
    ("start", "end", "duration"),
    [
        (None, None, "unknown (the job did not start training)"),
        (1731369660000, None, "unknown"),
        ("2024-11-12T00:01:00Z", "2024-11-12T00:02:05Z", "1 min 05 s"),
        ("2024-11-12T00:01:00+00:00", "2024-11-12T00:01:42.400+00:00", "42 s"),
        ("not a time", "2024-11-12T00:02:05Z", "unknown (the job did not start training)"),
    ],
)
def test_duration_from_either_time_format(start: object, end: object, duration: str) -> None:
    event = with_detail(TrainingStartTime=start, TrainingEndTime=end, BillableTimeInSeconds=None)

    assert f"Duration:       {duration}\n" in job_state_notification(event).message


@pytest.mark.parametrize(
    "event",
    [
        {"detail-type": "SageMaker Training Job State Change"},
        with_detail(TrainingJobName=None),
        with_detail(TrainingJobStatus=None),
    ],
)
def test_state_change_without_job_or_status_is_malformed(event: dict) -> None:
    with pytest.raises(MalformedEvent):
        job_state_notification(event)


def test_request_file_travels_through_the_workflow_as_json() -> None:
    assert RequestFile.from_mapping(json.loads(json.dumps(REQUEST.to_mapping()))) == REQUEST
    with pytest.raises(MalformedEvent, match="needs a bucket and a key"):
        RequestFile.from_mapping({"bucket": "b"})
