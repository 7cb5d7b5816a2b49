"""The Step Functions adapters that answer about executions as AWS does (emulator/adapters/stepfunctions.py,
with emulator/adapters/stepfunctions_executions.py): DescribeExecution's fields, GetExecutionHistory's
order and pages, StopExecution's error and cause, and the AWS/States metrics executions publish."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from adapter_resources import ROLE_ARN, unique
from botocore.exceptions import ClientError
from execution_waits import finished_execution, wait_for

# Five Pass states, then the end: 2 + 5 * 2 = 12 events (ExecutionStarted, entered/exited each, ExecutionSucceeded).
_CHAIN = {
    "StartAt": "S0",
    "States": {
        **{
            f"S{i}": {"Type": "Pass", "Result": {"step": i}, "ResultPath": f"$.s{i}", "Next": f"S{i + 1}"}
            for i in range(4)
        },
        "S4": {"Type": "Pass", "End": True},
    },
}
_FAILING = {"StartAt": "Refuse", "States": {"Refuse": {"Type": "Fail", "Error": "InvalidInput", "Cause": "no image"}}}
_WAITING = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 300, "End": True}}}


def machine(emulator: Any, definition: dict[str, Any]) -> str:
    sfn = emulator.client("stepfunctions")
    return str(
        sfn.create_state_machine(name=unique("machine"), definition=json.dumps(definition), roleArn=ROLE_ARN)[
            "stateMachineArn"
        ]
    )


@pytest.fixture(scope="module")
def finished_chain(emulator: Any) -> str:
    sfn = emulator.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine(emulator, _CHAIN), input='{"run": 1}')["executionArn"]
    assert finished_execution(sfn, execution)["status"] == "SUCCEEDED"
    return str(execution)


# describe_executions_as_aws_does ---------------------------------------------------------------
def test_describe_execution_gives_the_fields_aws_gives(emulator: Any, finished_chain: str) -> None:
    sfn = emulator.client("stepfunctions")
    succeeded = sfn.describe_execution(executionArn=finished_chain)
    assert succeeded["inputDetails"] == {"included": True} and succeeded["outputDetails"] == {"included": True}
    assert succeeded["output"] == json.dumps(json.loads(succeeded["output"]), separators=(",", ":"))
    assert (succeeded["redriveCount"], succeeded["redriveStatus"]) == (0, "NOT_REDRIVABLE")
    assert succeeded["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"

    failed_arn = sfn.start_execution(stateMachineArn=machine(emulator, _FAILING))["executionArn"]
    failed = finished_execution(sfn, failed_arn)
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "InvalidInput", "no image")
    assert failed["redriveStatus"] == "REDRIVABLE" and "output" not in failed
    assert failed["stopDate"] >= failed["startDate"]


# page_execution_histories_as_aws_does ------------------------------------------------------------
def test_execution_history_comes_in_pages_oldest_first(emulator: Any, finished_chain: str) -> None:
    sfn = emulator.client("stepfunctions")
    everything = sfn.get_execution_history(executionArn=finished_chain)
    assert [e["id"] for e in everything["events"]] == list(range(1, 13)) and "nextToken" not in everything

    first = sfn.get_execution_history(executionArn=finished_chain, maxResults=5)
    assert [e["id"] for e in first["events"]] == [1, 2, 3, 4, 5]
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=finished_chain, PaginationConfig={"PageSize": 5}
    )
    assert [e["id"] for page in pages for e in page["events"]] == list(range(1, 13))


def test_reverse_order_gives_the_newest_events_first(emulator: Any, finished_chain: str) -> None:
    sfn = emulator.client("stepfunctions")
    last_two = sfn.get_execution_history(executionArn=finished_chain, reverseOrder=True, maxResults=2)
    assert [e["type"] for e in last_two["events"]] == ["ExecutionSucceeded", "PassStateExited"]
    following = sfn.get_execution_history(
        executionArn=finished_chain, reverseOrder=True, maxResults=2, nextToken=last_two["nextToken"]
    )
    assert [e["id"] for e in following["events"]] == [10, 9]


def test_history_without_execution_data_leaves_inputs_and_outputs_out(emulator: Any, finished_chain: str) -> None:
    sfn = emulator.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=finished_chain, includeExecutionData=False)["events"]
    started = events[0]["executionStartedEventDetails"]
    assert "input" not in started and started["roleArn"] == ROLE_ARN
    assert not any("output" in e.get("stateExitedEventDetails", {}) for e in events)
    with_data = sfn.get_execution_history(executionArn=finished_chain)["events"]
    assert json.loads(with_data[0]["executionStartedEventDetails"]["input"]) == {"run": 1}


def test_a_token_of_another_request_and_an_oversized_page_are_refused(emulator: Any, finished_chain: str) -> None:
    sfn = emulator.client("stepfunctions")
    token = sfn.get_execution_history(executionArn=finished_chain, maxResults=2)["nextToken"]
    with pytest.raises(ClientError) as refused:
        sfn.get_execution_history(executionArn=finished_chain, reverseOrder=True, nextToken=token)
    assert refused.value.response["Error"]["Code"] == "InvalidToken"
    with pytest.raises(ClientError) as oversized:
        sfn.get_execution_history(executionArn=finished_chain, maxResults=1001)
    assert oversized.value.response["Error"]["Code"] == "ValidationException"


# stop_executions_with_their_error_and_cause, publish_step_functions_execution_metrics ----------------
def test_a_stopped_execution_keeps_the_error_and_cause_and_its_history_ends_with_them(emulator: Any) -> None:
    sfn = emulator.client("stepfunctions")
    machine_arn = machine(emulator, _WAITING)
    execution = sfn.start_execution(stateMachineArn=machine_arn)["executionArn"]
    wait_for(
        lambda: any(
            e["type"] == "WaitStateEntered" for e in sfn.get_execution_history(executionArn=execution)["events"]
        )
    )
    stopped = sfn.stop_execution(executionArn=execution, error="Cancelled", cause="the run was started by mistake")
    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"], described["cause"]) == (
        "ABORTED",
        "Cancelled",
        "the run was started by mistake",
    )
    assert described["stopDate"] == stopped["stopDate"]

    # The interpreter ended (it published the end metric): nothing was written after ExecutionAborted.
    wait_for(lambda: metric_sum(emulator, machine_arn, "ExecutionsAborted") >= 1)
    events = sfn.get_execution_history(executionArn=execution, reverseOrder=True)["events"]
    assert events[0]["type"] == "ExecutionAborted"
    assert events[0]["executionAbortedEventDetails"] == {
        "error": "Cancelled",
        "cause": "the run was started by mistake",
    }
    assert [e["type"] for e in events].count("ExecutionAborted") == 1


def test_executions_publish_their_step_functions_metrics(emulator: Any) -> None:
    sfn = emulator.client("stepfunctions")
    machine_arn = machine(emulator, _FAILING)
    for _ in range(2):
        finished_execution(sfn, sfn.start_execution(stateMachineArn=machine_arn)["executionArn"])
    wait_for(lambda: metric_sum(emulator, machine_arn, "ExecutionsFailed") == 2)
    assert metric_sum(emulator, machine_arn, "ExecutionsStarted") == 2
    assert metric_sum(emulator, machine_arn, "ExecutionsSucceeded") == 0


def metric_sum(emulator: Any, machine_arn: str, metric_name: str) -> float:
    now = datetime.now(UTC)
    datapoints = emulator.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/States",
        MetricName=metric_name,
        Dimensions=[{"Name": "StateMachineArn", "Value": machine_arn}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=3600,
        Statistics=["Sum"],
    )["Datapoints"]
    return float(sum(point["Sum"] for point in datapoints))
