"""The deployed platform in the emulator: the real stacks (deployed with the real CDK CLI), the real
state machine, the real Prepare Lambda. The last two, marked `destructive`, redeploy and destroy the
session's deployment: conftest.py runs them after every other test of the session.

How a training job ends is chosen with the emulator's hyperparameters (emulator/training_jobs.py):
`emulator_outcome` (failed, capacity, stopped, or a sequence like capacity,completed) and
`emulator_seconds`. A unique `run` hyperparameter keeps each test's outcome sequence its own.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from execution_waits import all_job_names, execution_output, finished_execution, wait_for

from emulator import scheduled_event_entry
from training_events import event_job_name

_CONTEXT = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]
PLATFORM_STACKS = f"{_CONTEXT['prefix']}-{_CONTEXT['environment']}-"  # <prefix>-<environment>-stateful/-training


def run_id() -> str:
    return uuid.uuid4().hex[:10]


SCHEDULED_RUN = run_id()  # the `run` of the scheduled request the redeploy configures


def console_input(platform: Any, **overrides: Any) -> dict[str, Any]:
    """What a console user pastes: the seed's Estimator/fit() arguments, defaults for the rest."""
    data = platform.outputs["DataBucketName"]
    request = {
        "instance_type": "ml.m5.xlarge",
        "instance_count": 1,
        "base_job_name": "gan",
        "inputs": {"nome_modello": f"s3://{data}/gan/train/"},
        "hyperparameters": {"epochs": 3, "run": run_id()},
        "metric_definitions": [
            {"Name": "loss", "Regex": "Loss = (.*?);"},
            {"Name": "ganloss", "Regex": "GAN_loss=(.*?);"},
        ],
    }
    hyperparameters = {**request["hyperparameters"], **overrides.pop("hyperparameters", {})}
    return {**request, **overrides, "hyperparameters": hyperparameters}


def start(emulator: Any, platform: Any, execution_input: dict[str, Any]) -> str:
    sfn = emulator.client("stepfunctions")
    return sfn.start_execution(stateMachineArn=platform.state_machine_arn, input=json.dumps(execution_input))[
        "executionArn"
    ]


def run(emulator: Any, platform: Any, execution_input: dict[str, Any]) -> dict[str, Any]:
    return finished_execution(emulator.client("stepfunctions"), start(emulator, platform, execution_input))


def jobs_with_run(emulator: Any, run: str) -> list[dict[str, Any]]:
    sagemaker = emulator.client("sagemaker")
    described = [sagemaker.describe_training_job(TrainingJobName=name) for name in all_job_names(emulator)]
    return sorted(
        (j for j in described if j.get("HyperParameters", {}).get("run") == run), key=lambda j: j["CreationTime"]
    )


def test_a_console_execution_trains_and_reports_the_job(emulator: Any, platform: Any) -> None:
    described = run(emulator, platform, console_input(platform))
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = execution_output(described)
    artifacts = platform.outputs["ArtifactsBucketName"]
    assert output["job_name"].startswith("gan-")
    assert output["status"] == "Completed"
    assert output["model_artifacts"] == f"s3://{artifacts}/{output['job_name']}/output/model.tar.gz"
    assert set(output["final_metrics"]) == {"loss", "ganloss"}
    assert output["capacity_retries"] == 0
    emulator.client("s3").head_object(Bucket=artifacts, Key=f"{output['job_name']}/output/model.tar.gz")

    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=output["job_name"])
    assert job["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert job["InputDataConfig"][0]["ChannelName"] == "nome_modello"
    assert job["OutputDataConfig"]["S3OutputPath"] == f"s3://{artifacts}/"


def test_wait_false_ends_the_execution_while_the_job_runs_on(emulator: Any, platform: Any) -> None:
    described = run(emulator, platform, console_input(platform, wait=False))
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = execution_output(described)
    assert output["status"] == "InProgress"
    sagemaker = emulator.client("sagemaker")
    assert wait_for(
        lambda: sagemaker.describe_training_job(TrainingJobName=output["job_name"])["TrainingJobStatus"] == "Completed"
    )


def test_an_invalid_input_fails_naming_the_field_and_creates_no_job(emulator: Any, platform: Any) -> None:
    before = set(all_job_names(emulator))
    described = run(emulator, platform, console_input(platform, instance_type="m5.xlarge", instance_count=0))
    assert (described["status"], described["error"]) == ("FAILED", "InvalidTrainingInput")
    assert "instance_type" in described["cause"] and "instance_count" in described["cause"]
    assert "Traceback" not in described["cause"]
    assert set(all_job_names(emulator)) == before


def test_a_failing_job_fails_the_execution_with_sagemaker_s_reason(emulator: Any, platform: Any) -> None:
    described = run(emulator, platform, console_input(platform, hyperparameters={"emulator_outcome": "failed"}))
    assert (described["status"], described["error"]) == ("FAILED", "TrainingJobFailed")
    assert "AlgorithmError: ExecuteUserScriptError" in described["cause"]


def test_a_capacity_failure_is_retried_with_a_fresh_job_name(emulator: Any, platform: Any) -> None:
    execution_input = console_input(platform, hyperparameters={"emulator_outcome": "capacity,completed"})
    described = run(emulator, platform, execution_input)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = execution_output(described)
    assert output["capacity_retries"] == 1
    first, retry = jobs_with_run(emulator, execution_input["hyperparameters"]["run"])
    assert first["TrainingJobStatus"] == "Failed" and first["FailureReason"].startswith("CapacityError")
    assert retry["TrainingJobName"] == output["job_name"] != first["TrainingJobName"]


def test_stopping_an_execution_stops_its_job(emulator: Any, platform: Any) -> None:
    job_name = f"stop-me-{run_id()}"
    execution = start(
        emulator, platform, console_input(platform, job_name=job_name, hyperparameters={"emulator_seconds": 120})
    )
    sagemaker, sfn = emulator.client("sagemaker"), emulator.client("stepfunctions")
    wait_for(lambda: job_name in all_job_names(emulator))
    sfn.stop_execution(executionArn=execution)
    assert finished_execution(sfn, execution)["status"] == "ABORTED"
    assert wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=job_name)["TrainingJobStatus"] == "Stopped")


def test_every_job_carries_the_cost_tag(emulator: Any, platform: Any) -> None:
    described = run(emulator, platform, console_input(platform))
    assert described["status"] == "SUCCEEDED", described.get("cause")
    own_job = execution_output(described)["job_name"]
    names = all_job_names(emulator)
    assert own_job in names
    sagemaker = emulator.client("sagemaker")

    def tagged(name: str) -> bool:
        arn = sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobArn"]
        return {"Key": "CER", "Value": "1"} in sagemaker.list_tags(ResourceArn=arn)["Tags"]

    # This test's job and every other job of the session, on every page: all the untagged ones named at once.
    assert [name for name in names if not tagged(name)] == []


@pytest.mark.destructive
def test_redeploying_an_updated_stack_takes_effect(emulator: Any, platform: Any) -> None:
    scheduled_request = console_input(platform, hyperparameters={"run": SCHEDULED_RUN})
    platform.cdk.deploy(
        {
            "max_capacity_retries": 3,
            "training_schedule": "rate(1 day)",
            "scheduled_request": json.dumps(scheduled_request),
        }
    )
    stacks = emulator.client("cloudformation").describe_stacks()["Stacks"]
    training = next(s for s in stacks if any(o["OutputKey"].endswith("StateMachineArn") for o in s.get("Outputs", [])))
    assert training["StackStatus"] == "UPDATE_COMPLETE"
    described = run(emulator, platform, console_input(platform, hyperparameters={"emulator_outcome": "capacity"}))
    assert (described["status"], described["error"]) == ("FAILED", "TrainingJobFailed")
    assert "after 3 retries" in described["cause"]


@pytest.mark.destructive
def test_a_schedule_firing_trains_the_scheduled_request_once(emulator: Any, platform: Any) -> None:
    """The schedule rule the redeploy above added, fired now (the emulator fires no schedule by itself)."""
    events, sfn = emulator.client("events"), emulator.client("stepfunctions")
    scheduled = [r for r in events.list_rules()["Rules"] if r.get("ScheduleExpression") == "rate(1 day)"]
    assert len(scheduled) == 1, "the redeploy with training_schedule deploys one schedule rule"
    rule_arn = scheduled[0]["Arn"]
    before = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=platform.state_machine_arn)["executions"]}

    events.put_events(Entries=[scheduled_event_entry(rule_arn)])

    def started() -> list[str]:
        executions = sfn.list_executions(stateMachineArn=platform.state_machine_arn)["executions"]
        return [e["executionArn"] for e in executions if e["executionArn"] not in before]

    (execution,) = wait_for(started)
    described = finished_execution(sfn, execution)
    assert described["status"] == "SUCCEEDED", described.get("cause")
    firing = json.loads(described["input"])
    assert (firing["source"], firing["detail-type"], firing["resources"]) == (
        "aws.events",
        "Scheduled Event",
        [rule_arn],
    )
    output = execution_output(described)
    rule_name = rule_arn.rsplit("/", 1)[-1]
    assert output["job_name"] == event_job_name(rule_name, (rule_arn, firing["time"]), fallback_hint="scheduled")
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=output["job_name"])
    assert job["HyperParameters"]["run"] == SCHEDULED_RUN


@pytest.mark.destructive
def test_destroy_keeps_the_buckets_and_their_objects(emulator: Any, platform: Any) -> None:
    s3, cloudformation = emulator.client("s3"), emulator.client("cloudformation")
    artifacts = platform.outputs["ArtifactsBucketName"]
    kept = object_keys(s3, artifacts)
    assert kept
    deployed = {
        s["StackName"] for s in cloudformation.describe_stacks()["Stacks"] if s["StackName"].startswith(PLATFORM_STACKS)
    }
    assert len(deployed) == 2  # stateful and training
    platform.cdk.destroy()
    remaining = {s["StackName"] for s in cloudformation.describe_stacks()["Stacks"]}
    assert not deployed & remaining
    for output, bucket in platform.outputs.items():
        if output.endswith("BucketName") and not output.startswith("Export"):
            s3.head_bucket(Bucket=bucket)
    # Jobs other tests started may still write their artifacts meanwhile: what was there must still be.
    assert kept <= object_keys(s3, artifacts)


def object_keys(s3: Any, bucket: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}
