"""The AWS CLI (v1, pinned as a test dependency) against the deployed platform in the emulator: what a
console user runs. A client the project did not write, run as a subprocess with the emulator's client
environment: stack outputs, start/describe/stop executions and their history, list and describe jobs,
their tags and logs, and a request file copied into the data bucket.

The CLI prints timestamps as the service sends them (epoch seconds) and, given --max-results or
--next-token, returns one page with its NextToken instead of paginating itself."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from adapter_resources import unique
from execution_waits import wait_for
from request_files import request_key, result_key_of
from test_platform import PLATFORM_STACKS, console_input

from platform_contract import (
    COST_TAG_KEY,
    COST_TAG_VALUE,
    JOB_NAME_FIELD,
    TRAINING_JOB_LOG_GROUP,
    TrainingStackOutput,
)

AwsCli = Callable[..., Any]
_CLI_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def aws(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> AwsCli:
    """`aws(service, operation, *options)`: the CLI's JSON answer (None if it printed nothing), or
    its text for `aws s3` commands; a failure fails the test with the CLI's message. No user
    configuration file is read."""
    executable = shutil.which("aws", path=str(Path(sys.executable).parent))
    assert executable, "the AWS CLI is a test dependency (requirements-dev.txt): install it in the virtualenv"
    home = tmp_path_factory.mktemp("aws-cli")
    environment = {
        **emulator.environment(),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
    }

    def run(*arguments: str) -> Any:
        completed = subprocess.run(
            [executable, *arguments, "--output", "json"],
            env=environment,
            cwd=home,
            capture_output=True,
            text=True,
            timeout=_CLI_TIMEOUT_SECONDS,
        )
        assert completed.returncode == 0, f"aws {' '.join(arguments)}: {completed.stderr}"
        if arguments[0] == "s3":
            return completed.stdout
        return json.loads(completed.stdout) if completed.stdout.strip() else None

    return run


def finished(aws: AwsCli, execution_arn: str, timeout: float = 90) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        described = aws("stepfunctions", "describe-execution", "--execution-arn", execution_arn)
        return None if described["status"] == "RUNNING" else described

    return dict(wait_for(done, timeout=timeout, interval=1))


def start_execution(aws: AwsCli, platform: Any, tmp_path: Path, execution_input: dict[str, Any]) -> str:
    """As a console user starts one: the input in a file."""
    input_file = tmp_path / f"{unique('input')}.json"
    input_file.write_text(json.dumps(execution_input))
    started = aws(
        "stepfunctions",
        "start-execution",
        "--state-machine-arn",
        platform.state_machine_arn,
        "--input",
        f"file://{input_file}",
    )
    return str(started["executionArn"])


@pytest.fixture(scope="module")
def trained(aws: AwsCli, platform: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two executions of one base job name, both trained: their ARNs and job names, newest last. The second
    starts once the first has ended and the clock has passed a whole second: the CLI sends time filters in
    whole seconds, so only jobs created in different seconds can be told apart by one."""
    base = unique("cli")
    directory = tmp_path_factory.mktemp("cli-inputs")
    executions, described = [], []
    for _ in range(2):
        executions.append(start_execution(aws, platform, directory, console_input(platform, base_job_name=base)))
        described.append(finished(aws, executions[-1]))
        wait_past_the_second_of(time.time())
    assert [d["status"] for d in described] == ["SUCCEEDED", "SUCCEEDED"], described
    jobs = [json.loads(d["output"])[JOB_NAME_FIELD] for d in described]
    return {"base": base, "executions": executions, "jobs": jobs}


def wait_past_the_second_of(moment: float) -> None:
    boundary = math.floor(moment) + 1
    wait_for(lambda: time.time() > boundary, timeout=5, interval=0.05)


def test_describe_stacks_shows_the_platform_s_outputs(aws: AwsCli, platform: Any) -> None:
    stacks = aws("cloudformation", "describe-stacks")["Stacks"]
    training = next(s for s in stacks if s["StackName"] == f"{PLATFORM_STACKS}training")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in training["Outputs"]}
    assert {o.value for o in TrainingStackOutput} <= set(outputs)
    assert outputs[TrainingStackOutput.STATE_MACHINE_ARN.value] == platform.state_machine_arn


def test_an_execution_is_described_and_its_history_read_newest_first_a_page_at_a_time(
    aws: AwsCli, platform: Any, trained: dict[str, Any]
) -> None:
    execution = trained["executions"][-1]
    described = aws("stepfunctions", "describe-execution", "--execution-arn", execution)
    assert described["status"] == "SUCCEEDED" and described["stopDate"] >= described["startDate"]
    assert described["inputDetails"] == {"included": True}

    everything = aws("stepfunctions", "get-execution-history", "--execution-arn", execution)["events"]
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids) and everything[0]["type"] == "ExecutionStarted"
    newest = aws(
        "stepfunctions", "get-execution-history", "--execution-arn", execution, "--reverse-order", "--max-results", "3"
    )
    assert [e["id"] for e in newest["events"]] == ids[::-1][:3]
    assert newest["events"][0]["type"] == "ExecutionSucceeded" and newest["nextToken"]
    following = aws(
        "stepfunctions",
        "get-execution-history",
        "--execution-arn",
        execution,
        "--reverse-order",
        "--max-results",
        "3",
        "--next-token",
        newest["nextToken"],
    )
    assert [e["id"] for e in following["events"]] == ids[::-1][3:6]

    listed = aws(
        "stepfunctions",
        "list-executions",
        "--state-machine-arn",
        platform.state_machine_arn,
        "--status-filter",
        "SUCCEEDED",
    )["executions"]
    assert set(trained["executions"]) <= {e["executionArn"] for e in listed}
    assert all(e["status"] == "SUCCEEDED" for e in listed)


def test_stop_execution_keeps_the_error_and_cause_the_user_gave(aws: AwsCli, platform: Any, tmp_path: Path) -> None:
    execution = start_execution(
        aws, platform, tmp_path, console_input(platform, hyperparameters={"emulator_seconds": "120"})
    )

    def training() -> bool:
        events = aws("stepfunctions", "get-execution-history", "--execution-arn", execution)["events"]
        return any(e["type"] == "TaskSubmitted" for e in events)

    wait_for(training, timeout=90, interval=1)
    stopped = aws(
        "stepfunctions",
        "stop-execution",
        "--execution-arn",
        execution,
        "--error",
        "UserCancelled",
        "--cause",
        "wrong dataset",
    )
    described = aws("stepfunctions", "describe-execution", "--execution-arn", execution)
    assert (described["status"], described["error"], described["cause"]) == (
        "ABORTED",
        "UserCancelled",
        "wrong dataset",
    )
    assert described["stopDate"] == stopped["stopDate"]
    last = aws(
        "stepfunctions", "get-execution-history", "--execution-arn", execution, "--reverse-order", "--max-results", "1"
    )["events"][0]
    assert last["type"] == "ExecutionAborted"
    assert last["executionAbortedEventDetails"] == {"error": "UserCancelled", "cause": "wrong dataset"}


def test_a_job_is_described_with_its_tags_and_logs(aws: AwsCli, trained: dict[str, Any]) -> None:
    job = trained["jobs"][-1]
    described = aws("sagemaker", "describe-training-job", "--training-job-name", job)
    assert (described["TrainingJobName"], described["TrainingJobStatus"]) == (job, "Completed")
    tags = aws("sagemaker", "list-tags", "--resource-arn", described["TrainingJobArn"])["Tags"]
    assert {"Key": COST_TAG_KEY, "Value": COST_TAG_VALUE} in tags

    events = aws(
        "logs", "filter-log-events", "--log-group-name", TRAINING_JOB_LOG_GROUP, "--log-stream-name-prefix", f"{job}/"
    )["events"]
    assert events and all(e["logStreamName"].startswith(f"{job}/algo-1-") for e in events)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    other_job = trained["jobs"][0]
    everything = aws("logs", "filter-log-events", "--log-group-name", TRAINING_JOB_LOG_GROUP)["events"]
    assert any(e["logStreamName"].startswith(f"{other_job}/") for e in everything)

    stream = events[0]["logStreamName"]
    read = aws(
        "logs",
        "get-log-events",
        "--log-group-name",
        TRAINING_JOB_LOG_GROUP,
        "--log-stream-name",
        stream,
        "--start-from-head",
    )
    assert [e["message"] for e in read["events"]] == [e["message"] for e in events if e["logStreamName"] == stream]


def test_list_training_jobs_filters_sorts_and_pages(aws: AwsCli, trained: dict[str, Any]) -> None:
    """Without --max-results the CLI pages through every answer (SageMaker filters each page by name
    and status once cut); with it, one page and its NextToken."""
    older, newer = trained["jobs"]
    mine = aws(
        "sagemaker",
        "list-training-jobs",
        "--name-contains",
        trained["base"],
        "--status-equals",
        "Completed",
        "--sort-by",
        "CreationTime",
        "--sort-order",
        "Descending",
    )
    assert [j["TrainingJobName"] for j in mine["TrainingJobSummaries"]] == [newer, older]
    newest_first = ("sagemaker", "list-training-jobs", "--sort-by", "CreationTime", "--sort-order", "Descending")
    first_page = aws(*newest_first, "--max-results", "1")
    second_page = aws(*newest_first, "--max-results", "1", "--next-token", first_page["NextToken"])
    [first], [second] = first_page["TrainingJobSummaries"], second_page["TrainingJobSummaries"]
    assert first["CreationTime"] >= second["CreationTime"] and first["TrainingJobName"] != second["TrainingJobName"]
    older_created, newer_created = (
        aws("sagemaker", "describe-training-job", "--training-job-name", job)["CreationTime"] for job in (older, newer)
    )
    assert math.ceil(older_created) < newer_created  # as the fixture arranged
    after = aws(
        "sagemaker",
        "list-training-jobs",
        "--name-contains",
        trained["base"],
        "--creation-time-after",
        str(math.ceil(older_created)),
    )
    assert [j["TrainingJobName"] for j in after["TrainingJobSummaries"]] == [newer]


def test_a_request_file_copied_into_the_data_bucket_trains_and_gets_its_result(
    aws: AwsCli, emulator: Any, platform: Any, tmp_path: Path
) -> None:
    data = platform.outputs["DataBucketName"]
    request = {"instance_type": "ml.m5.xlarge", "instance_count": 1, "inputs": f"s3://{data}/datasets/iris/"}
    local = tmp_path / "request.json"
    local.write_text(json.dumps(request))
    name = unique("cli-request")
    key = request_key(name)
    aws("s3", "cp", str(local), f"s3://{data}/{key}")
    result_key = result_key_of(key)
    s3 = emulator.client("s3")
    wait_for(lambda: s3.list_objects_v2(Bucket=data, Prefix=result_key).get("KeyCount"), timeout=120, interval=1)
    aws("s3", "cp", f"s3://{data}/{result_key}", str(tmp_path / "result.json"))
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "Completed", result
