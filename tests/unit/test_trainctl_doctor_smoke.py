"""`trainctl doctor --smoke`: the minimal training it starts through the workflow, followed to its end with
the platform API; AWS's answers from botocore's Stubber (validated against the service models)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from trainctl.doctor.smoke import SMOKE_INPUT, SMOKE_MAX_RUN_SECONDS, run_smoke
from trainctl.platform import Platform

REGION = "eu-west-1"
ACCOUNT = "123456789012"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:mltrain-dev-training"
EXECUTION = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:mltrain-dev-training:smoke-1"
JOB = "doctor-smoke-2026-11-30-10-00-00-000"
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def offline_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


class Workflow:
    """A Platform whose Step Functions and SageMaker clients answer from queues."""

    def __init__(self) -> None:
        self.clients = {name: boto3.client(name, region_name=REGION) for name in ("stepfunctions", "sagemaker")}
        self.stubbers = {name: Stubber(client) for name, client in self.clients.items()}
        # No Prepare function named: the input is checked with the builder's stand-ins, offline.
        self.platform = Platform(MACHINE, REGION, poll_seconds=0, sleep=lambda _: None)
        self.platform._clients.update(self.clients)
        for stubber in self.stubbers.values():
            stubber.activate()

    def started(self) -> None:
        self.stubbers["stepfunctions"].add_response(
            "start_execution",
            {"executionArn": EXECUTION, "startDate": T0},
            {"stateMachineArn": MACHINE, "input": json.dumps(SMOKE_INPUT)},
        )

    def history(self) -> None:
        events = [
            {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Prepare"}},
            {
                "type": "TaskStateExited",
                "stateExitedEventDetails": {"name": "Prepare", "output": json.dumps({"job_name": JOB})},
            },
        ]
        self.stubbers["stepfunctions"].add_response(
            "get_execution_history",
            {"events": [{"timestamp": T0, "id": i + 1, "previousEventId": i, **e} for i, e in enumerate(events)]},
        )

    def job(self, status: str, **extra: object) -> None:
        description = {
            "TrainingJobName": JOB,
            "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{JOB}",
            "TrainingJobStatus": status,
            "SecondaryStatus": "Starting" if status == "InProgress" else status,
            "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 1200},
            "CreationTime": T0,
            "ModelArtifacts": {"S3ModelArtifacts": ""},
            "SecondaryStatusTransitions": [{"Status": "Starting", "StartTime": T0, "StatusMessage": "Preparing"}],
            **extra,
        }
        self.stubbers["sagemaker"].add_response("describe_training_job", description)

    def execution(self, status: str, **extra: object) -> None:
        self.stubbers["stepfunctions"].add_response(
            "describe_execution",
            {"executionArn": EXECUTION, "stateMachineArn": MACHINE, "status": status, "startDate": T0, **extra},
        )

    def done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


def ran_to_the_end(workflow: Workflow, status: str, *, execution: str, **job: object) -> None:
    """Start, the job created, followed until it ended, then the final state read."""
    workflow.started()
    workflow.history()
    workflow.job("InProgress")  # it exists
    workflow.job(status, **job)  # followed: it ended
    workflow.job(status, **job)  # a failed job the workflow could retry under a fresh name: did it?
    if status == "Failed":
        workflow.execution(execution, stopDate=T0 + timedelta(minutes=6))
        workflow.history()
    workflow.execution(execution, stopDate=T0 + timedelta(minutes=6))
    workflow.history()
    workflow.job(status, **job)


def test_the_smoke_training_is_the_minimal_one_and_passes_when_its_job_completes():
    workflow = Workflow()
    ran_to_the_end(workflow, "Completed", execution="SUCCEEDED", TrainingEndTime=T0 + timedelta(minutes=5, seconds=3))
    progress: list[str] = []

    result = run_smoke(workflow.platform, progress.append)

    workflow.done()
    assert SMOKE_INPUT["instance_type"] == "ml.m5.large" and SMOKE_INPUT["instance_count"] == 1
    assert "inputs" not in SMOKE_INPUT and "hyperparameters" not in SMOKE_INPUT
    assert result.lines() == [f"ok   smoke training: job {JOB} completed in 5m03s"]
    assert progress[:2] == [f"execution: {EXECUTION}", f"job:       {JOB}"]
    assert any("Starting: Preparing" in line for line in progress)


def test_a_smoke_job_the_image_failed_says_the_platform_ran_it_and_where_the_logs_are():
    workflow = Workflow()
    ran_to_the_end(
        workflow,
        "Failed",
        execution="FAILED",
        FailureReason="AlgorithmError: no training data in /opt/ml/input/data",
        TrainingEndTime=T0 + timedelta(minutes=4),
    )

    (line,) = run_smoke(workflow.platform, lambda _: None).lines()

    workflow.done()
    assert line.startswith(
        f"FAIL smoke training: job {JOB} Failed: AlgorithmError: no training data in /opt/ml/input/data; "
        "the platform ran the job; the image failed with no inputs or hyperparameters: "
    )
    assert line.endswith(f"-m trainctl logs {JOB}")


def test_a_smoke_execution_that_ends_before_its_job_fails_with_its_error():
    workflow = Workflow()
    workflow.started()
    workflow.stubbers["stepfunctions"].add_response("get_execution_history", {"events": []})
    workflow.execution(
        "FAILED", stopDate=T0, error="SageMaker.AmazonSageMakerException", cause="AccessDenied: iam:PassRole"
    )
    workflow.stubbers["stepfunctions"].add_response("get_execution_history", {"events": []})

    (line,) = run_smoke(workflow.platform, lambda _: None).lines()

    workflow.done()
    assert line == (
        "FAIL smoke training: execution smoke-1 FAILED before starting a job: SageMaker.AmazonSageMakerException: "
        "AccessDenied: iam:PassRole; see the execution in the Step Functions console"
    )


def test_the_trainctl_page_describes_the_smoke_training_the_doctor_starts():
    page = (Path(__file__).resolve().parents[2] / "docs" / "trainctl.md").read_text()
    smoke = page[page.index("**--smoke**") : page.index("With `--json` the doctor")]

    assert f"one `{SMOKE_INPUT['instance_type']}`" in smoke and SMOKE_INPUT["instance_count"] == 1
    assert f"at most {SMOKE_MAX_RUN_SECONDS // 60} minutes" in " ".join(smoke.split())
    assert "no Debugger or profiler" in smoke and SMOKE_INPUT["debugger_hook_config"] is False
