"""Both ways the deployed workflow creates a job, on the emulator: a request of long-supported members through
SageMaker's optimised integration (`.sync`), a request with newer members through the AWS SDK integration,
followed to its end. Either way SageMaker gets every member of the request Prepare built (DescribeTrainingJob
echoes it), and the call is made with the state machine's role. Stopping an execution of the AWS SDK route
leaves its job running, as on AWS; `trainctl stop` stops it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from call_records import calls, find
from execution_waits import all_job_names, execution_output, finished_execution, wait_for
from test_platform import PLATFORM_STACKS, console_input, run, start

from platform_contract import CREATE_ROUTE_FIELD, JOB_NAME_FIELD, CreateRoute, WorkflowState

ROOT = Path(__file__).resolve().parents[2]

# Members the optimised integration is not known to pass, each one the emulator's SageMaker accepts.
NEWER_MEMBERS = {
    "max_retry_attempts": 2,
    "enable_infra_check": True,
    "disable_output_compression": True,
    "container_arguments": ["--epochs", "3"],
}


def history(emulator: Any, execution_arn: str) -> list[dict[str, Any]]:
    sfn = emulator.client("stepfunctions")
    return list(sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"])


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def prepared(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Prepare's output ({} while Prepare runs)."""
    outputs = [
        e["stateExitedEventDetails"]["output"]
        for e in events
        if e.get("stateExitedEventDetails", {}).get("name") == WorkflowState.PREPARE.value
    ]
    assert len(outputs) <= 1, "Prepare ran more than once"
    return dict(json.loads(outputs[0])) if outputs else {}


def assert_echoed(request: Any, described: Any, path: str = "") -> None:
    """Every member of `request` is in `described` with its value (SageMaker may add members of its own)."""
    if isinstance(request, dict):
        assert isinstance(described, dict), path
        for key, value in request.items():
            assert key in described, f"{path}{key} did not reach SageMaker"
            assert_echoed(value, described[key], f"{path}{key}.")
    elif isinstance(request, list):
        assert isinstance(described, list) and len(described) == len(request), path
        for index, (item, echoed) in enumerate(zip(request, described, strict=True)):
            assert_echoed(item, echoed, f"{path}[{index}].")
    else:
        assert described == request, f"{path}: {described!r} != {request!r}"


def trained(emulator: Any, platform: Any, **overrides: Any) -> tuple[dict[str, Any], list[dict[str, Any]], Any]:
    """Prepare's output (with the states entered), the CreateTrainingJob calls recorded (each checked to be
    the state machine role's), and the job, of a console execution that completed."""
    since = len(calls(emulator))
    described = run(emulator, platform, console_input(platform, **overrides))
    assert described["status"] == "SUCCEEDED", described.get("cause")
    events = history(emulator, described["executionArn"])
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=execution_output(described)["job_name"])
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    creates = find(calls(emulator, since), action="sagemaker:CreateTrainingJob", resource=job["TrainingJobArn"])
    machine_role = emulator.client("stepfunctions").describe_state_machine(stateMachineArn=platform.state_machine_arn)[
        "roleArn"
    ]
    assert [(c["principal"], c["principal_type"]) for c in creates] == [(machine_role, "role")], creates
    return prepared(events) | {"entered": entered(events)}, creates, job


def test_a_request_of_long_supported_members_runs_through_the_optimised_integration(
    emulator: Any, platform: Any
) -> None:
    prepare, creates, job = trained(emulator, platform, base_job_name="optimised")
    assert creates

    assert prepare[CREATE_ROUTE_FIELD] == CreateRoute.OPTIMISED.value
    assert WorkflowState.RUN_TRAINING_JOB.value in prepare["entered"]
    assert WorkflowState.CREATE_TRAINING_JOB_VIA_SDK.value not in prepare["entered"]
    assert_echoed({k: v for k, v in prepare["request"].items() if k != "Tags"}, job)


def test_a_request_with_newer_members_is_created_through_the_aws_sdk_and_followed_to_completion(
    emulator: Any, platform: Any
) -> None:
    prepare, creates, job = trained(emulator, platform, base_job_name="sdk", **NEWER_MEMBERS)

    assert prepare[CREATE_ROUTE_FIELD] == CreateRoute.SDK.value
    assert WorkflowState.CREATE_TRAINING_JOB_VIA_SDK.value in prepare["entered"]
    assert WorkflowState.RUN_TRAINING_JOB.value not in prepare["entered"]
    assert "DescribeOwnJob" in prepare["entered"]
    # Every member reached SageMaker, the newer ones included.
    assert_echoed({k: v for k, v in prepare["request"].items() if k != "Tags"}, job)
    assert creates  # made with the state machine's role (trained() checks whose), as the optimised call is
    assert job["RetryStrategy"] == {"MaximumRetryAttempts": 2}
    assert job["InfraCheckConfig"] == {"EnableInfraCheck": True}
    assert job["OutputDataConfig"]["CompressionType"] == "NONE"
    assert job["AlgorithmSpecification"]["ContainerArguments"] == ["--epochs", "3"]


def test_stopping_an_aws_sdk_route_execution_leaves_its_job_which_trainctl_stop_then_stops(
    emulator: Any, platform: Any
) -> None:
    sfn, sagemaker = emulator.client("stepfunctions"), emulator.client("sagemaker")
    execution_input = console_input(platform, base_job_name="sdkstop", hyperparameters={"emulator_seconds": "300"})
    execution = start(emulator, platform, {**execution_input, **NEWER_MEMBERS})
    name = wait_for(lambda: prepared(history(emulator, execution)).get(JOB_NAME_FIELD))
    wait_for(lambda: name in all_job_names(emulator))

    # As on AWS: Step Functions runs nothing when an execution stops, and only .sync stops its job.
    sfn.stop_execution(executionArn=execution)
    assert finished_execution(sfn, execution)["status"] == "ABORTED"
    assert sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "InProgress"

    # trainctl stop, given the execution, stops its job too.
    environment = {
        **emulator.environment(),
        "TRAINCTL_STACK": f"{PLATFORM_STACKS}training",
        "TRAINCTL_CONFIG": str(ROOT / "tests" / "integration" / "no-such-trainctl-config.toml"),
    }
    stopped = subprocess.run(
        [sys.executable, "-m", "trainctl", "stop", execution],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert stopped.returncode == 0, stopped.stderr
    assert wait_for(
        lambda: sagemaker.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] == "Stopped", timeout=120
    )
