"""The deployed platform's logs and alarms in the emulator: each function logs to the log group its stack
gives it, and a failed job raises the failed-job and failed-execution alarms, which notify the
platform's topic (the Lambda runtime, metric filters, alarm evaluation and alarm actions together)."""

from __future__ import annotations

import json
from typing import Any

from adapter_resources import unique
from execution_waits import finished_execution, wait_for
from test_platform import console_input, start

from platform_contract import NotifyEnvironment, TrainingStackOutput


def function_log_messages(emulator: Any, function_name: str) -> tuple[str, list[str]]:
    """The log group the function's configuration names, and every message in it."""
    group = emulator.client("lambda").get_function_configuration(FunctionName=function_name)["LoggingConfig"][
        "LogGroup"
    ]
    pages = emulator.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group)
    return group, [event["message"] for page in pages for event in page["events"]]


def test_the_platform_s_functions_log_to_their_own_log_groups(emulator: Any, platform: Any) -> None:
    finished_execution(emulator.client("stepfunctions"), start(emulator, platform, console_input(platform)))
    prepare = platform.outputs[TrainingStackOutput.PREPARE_FUNCTION_NAME.value]
    group, messages = function_log_messages(emulator, prepare)
    assert group != f"/aws/lambda/{prepare}"
    assert any(m.startswith("START RequestId: ") for m in messages)
    assert any(m.startswith("REPORT RequestId: ") and "Init Duration: " in m for m in messages)
    groups = emulator.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{prepare}")["logGroups"]
    assert groups == []


def test_a_failed_job_raises_the_failed_job_and_failed_execution_alarms(emulator: Any, platform: Any) -> None:
    cloudwatch, sqs = emulator.client("cloudwatch"), emulator.client("sqs")
    topic = platform.outputs[TrainingStackOutput.NOTIFICATION_TOPIC_ARN.value]
    queue = sqs.create_queue(QueueName=unique("platform-notifications"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    emulator.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    failure_metrics = {"ExecutionsFailed", "TrainingJobsFailed"}  # the dead-letter queues' alarms notify it too
    alarms = {
        a["MetricName"]: a["AlarmName"]
        for a in cloudwatch.describe_alarms()["MetricAlarms"]
        if a["AlarmActions"] == [topic] and a["MetricName"] in failure_metrics
    }
    assert set(alarms) == failure_metrics
    # Earlier tests of the session may have raised them: start from OK, as after a quiet period.
    for name in alarms.values():
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="reset by the test")

    execution = start(emulator, platform, console_input(platform, hyperparameters={"emulator_outcome": "failed"}))
    described = finished_execution(emulator.client("stepfunctions"), execution)
    assert described["status"] == "FAILED"

    received: list[str] = []

    def both_alarms_notified() -> bool:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            received.append(json.loads(message["Body"]).get("Subject") or "")
        return all(any(s.startswith(f'ALARM: "{name}"') for s in received) for name in alarms.values())

    wait_for(both_alarms_notified, timeout=60)
    notify = next(
        f["FunctionName"]
        for f in emulator.client("lambda").list_functions()["Functions"]
        if f.get("Environment", {}).get("Variables", {}).get(NotifyEnvironment.TOPIC_ARN.value) == topic
    )
    _, messages = function_log_messages(emulator, notify)
    assert any(json.loads(m).get("status") == "Failed" for m in messages if m.startswith("{"))
