"""What users are told of a tuning request: its result file names the best training job, and the notification
of a finished tuning job gives the best job, the training jobs by status, and where to look."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platform_contract import TUNING_JOB_STATE_CHANGE, BestTrainingJobField
from training_events import (
    MalformedEvent,
    RequestFile,
    RequestStatus,
    result_document,
    state_change_notification,
    tuning_console_links,
    tuning_state_notification,
)

REQUEST = RequestFile("mltrain-data", "requests/gan-tuning.json", "v1", "etag-1")
EVENTS = Path(__file__).resolve().parents[1] / "events"
COMPLETED_TUNING = json.loads((EVENTS / "tuning-job-completed.json").read_text())
BEST = {
    "name": "gan-tuning-0123456789-002-5d8f0a1b",
    "objective_metric": "GAN_loss",
    "objective_value": 0.125,
    "model_artifacts": "s3://mltrain-artifacts/gan-tuning-0123456789-002-5d8f0a1b/output/model.tar.gz",
    "tuned_hyperparameters": {"learning_rate": "0.002"},
}


def with_detail(**changes: object) -> dict:
    event = json.loads(json.dumps(COMPLETED_TUNING))
    for key, value in changes.items():
        if value is None:
            event["detail"].pop(key, None)
        else:
            event["detail"][key] = value
    return event


def test_a_completed_tuning_result_names_the_tuning_job_and_its_best_training_job() -> None:
    document = result_document(
        REQUEST,
        status=RequestStatus.COMPLETED,
        tuning_job_name="gan-tuning-0123456789",
        best_training_job={**BEST, "unknown": "dropped"},
        links={"console": "c", "logs": "l"},
    )

    assert document == {
        "request": "s3://mltrain-data/requests/gan-tuning.json",
        "request_version_id": "v1",
        "status": "Completed",
        "tuning_job_name": "gan-tuning-0123456789",
        "best_training_job": BEST,
        "links": {"console": "c", "logs": "l"},
    }
    assert list(document["best_training_job"]) == [field.value for field in BestTrainingJobField]


@pytest.mark.parametrize("best", [None, {}, {"objective_value": 0.5}])
def test_a_tuning_result_without_a_best_job_leaves_it_out(best: dict | None) -> None:
    document = result_document(
        REQUEST, status=RequestStatus.FAILED, tuning_job_name="gan-tuning-1", best_training_job=best, failure_reason="x"
    )

    assert "best_training_job" not in document and document["failure_reason"] == "x"


def test_a_completed_tuning_job_notification_gives_the_best_job_and_the_counts() -> None:
    notification = state_change_notification(COMPLETED_TUNING)

    links = tuning_console_links("gan-tuning-0123456789", "eu-west-1")
    assert (notification.job_name, notification.status, notification.kind) == (
        "gan-tuning-0123456789",
        "Completed",
        "tuning",
    )
    assert notification.subject == "Tuning job gan-tuning-0123456789 completed"
    assert notification.message == (
        "Tuning job gan-tuning-0123456789: Completed\n"
        "\n"
        "Status:           Completed\n"
        "Best job:         gan-tuning-0123456789-002-5d8f0a1b (GAN_loss = 0.125)\n"
        "Training jobs:    3 completed, 2 failed, 0 stopped, 0 in progress\n"
        f"Tuning job:       {links['console']}\n"
        f"Logs:             {links['logs']}\n"
    )
    assert "#/hyper-tuning-jobs/gan-tuning-0123456789" in links["console"]


def test_a_failed_tuning_job_notification_says_why_and_that_no_job_was_best() -> None:
    event = with_detail(
        HyperParameterTuningJobStatus="Failed",
        FailureReason="All training jobs failed. Last error: AlgorithmError",
        BestTrainingJob=None,
        TrainingJobStatusCounters=None,
    )

    notification = tuning_state_notification(event)

    assert notification.subject == "Tuning job gan-tuning-0123456789 failed"
    assert "Failure reason:   All training jobs failed. Last error: AlgorithmError\n" in notification.message
    assert "Best job:         none (no training job reported the objective metric)\n" in notification.message
    assert "Training jobs:    unknown\n" in notification.message


def test_a_tuning_notification_in_china_links_to_the_china_console() -> None:
    event = {**COMPLETED_TUNING, "region": "cn-north-1"}

    assert "https://cn-north-1.console.amazonaws.cn/sagemaker/" in tuning_state_notification(event).message


@pytest.mark.parametrize(
    "event",
    [
        {"detail-type": TUNING_JOB_STATE_CHANGE[1]},
        with_detail(HyperParameterTuningJobName=None),
        with_detail(HyperParameterTuningJobStatus=None),
    ],
)
def test_a_tuning_state_change_without_job_or_status_is_malformed(event: dict) -> None:
    with pytest.raises(MalformedEvent):
        state_change_notification(event)
