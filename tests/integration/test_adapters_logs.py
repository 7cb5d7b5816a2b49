"""The CloudWatch Logs adapters (emulator/adapters/logs.py): FilterLogEvents' stream selection, filter
patterns, order and pages; log groups found by name or ARN; GetLogEvents read as the SageMaker SDK and
trainctl read a growing stream; metric filters turn log events into metric data."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from adapter_resources import unique
from botocore.exceptions import ClientError
from execution_waits import wait_for


def log_group(emulator: Any, streams: dict[str, list[str]]) -> tuple[str, dict[str, list[int]]]:
    """A new group whose streams get their messages, one millisecond apart, alternating between streams
    (so that time order and stream order differ); the timestamps each stream got."""
    logs = emulator.client("logs")
    group = f"/test/{unique('group')}"
    logs.create_log_group(logGroupName=group)
    start = int(time.time() * 1000) - 60_000
    stamps: dict[str, list[int]] = {name: [] for name in streams}
    for name in streams:
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    for position in range(max(len(messages) for messages in streams.values())):
        for offset, (name, messages) in enumerate(streams.items()):
            if position < len(messages):
                stamp = start + position * 10 + offset
                logs.put_log_events(
                    logGroupName=group,
                    logStreamName=name,
                    logEvents=[{"timestamp": stamp, "message": messages[position]}],
                )
                stamps[name].append(stamp)
    return group, stamps


def filtered(emulator: Any, group: str, **request: Any) -> list[tuple[str, str]]:
    """Every page of FilterLogEvents: (stream, message) in the order returned."""
    pages = emulator.client("logs").get_paginator("filter_log_events").paginate(logGroupName=group, **request)
    return [(e["logStreamName"], e["message"]) for page in pages for e in page["events"]]


# filter_log_events_as_aws_does ---------------------------------------------------------------------
def test_a_stream_name_prefix_selects_the_streams_and_events_come_in_time_order(emulator: Any) -> None:
    group, _ = log_group(
        emulator,
        {
            "job-a/algo-1-1700000000": ["a1 first", "a1 second"],
            "job-a/algo-2-1700000000": ["a2 first"],
            "job-b/algo-1": ["b"],
        },
    )
    assert filtered(emulator, group, logStreamNamePrefix="job-a/") == [
        ("job-a/algo-1-1700000000", "a1 first"),
        ("job-a/algo-2-1700000000", "a2 first"),
        ("job-a/algo-1-1700000000", "a1 second"),
    ]
    assert filtered(emulator, group, logStreamNames=["job-b/algo-1"]) == [("job-b/algo-1", "b")]
    with pytest.raises(ClientError) as both:
        filtered(emulator, group, logStreamNames=["job-b/algo-1"], logStreamNamePrefix="job-a/")
    assert both.value.response["Error"]["Code"] == "InvalidParameterException"


def test_filter_patterns_select_the_events_they_describe(emulator: Any) -> None:
    messages = [
        json.dumps({"job_name": "a", "status": "Failed", "seconds": 40}),
        json.dumps({"job_name": "b", "status": "Completed", "seconds": 400}),
        "ERROR Task timed out after 30.00 seconds",
        "ERROR retrying the upload",
        "WARN disk almost full",
    ]
    group, _ = log_group(emulator, {"notify": messages})

    def matching(pattern: str) -> list[str]:
        return [message for _, message in filtered(emulator, group, filterPattern=pattern)]

    assert matching('{ $.status = "Failed" }') == [messages[0]]
    assert matching("{ $.seconds > 100 && $.job_name = b }") == [messages[1]]
    assert matching("?ERROR ?WARN") == messages[2:]
    assert matching("ERROR -retrying") == [messages[2]]
    assert matching('"Task timed out"') == [messages[2]]
    assert matching("") == messages
    with pytest.raises(ClientError) as refused:
        matching("[level, message]")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


def test_filtered_events_come_in_pages_within_the_time_range(emulator: Any) -> None:
    group, stamps = log_group(emulator, {"one": [f"one {i}" for i in range(5)], "two": [f"two {i}" for i in range(5)]})
    logs = emulator.client("logs")
    first = logs.filter_log_events(logGroupName=group, limit=3)
    assert len(first["events"]) == 3 and first["nextToken"]
    everything = filtered(emulator, group, PaginationConfig={"PageSize": 3})
    assert len(everything) == 10 and everything[:2] == [("one", "one 0"), ("two", "two 0")]
    within = filtered(emulator, group, startTime=stamps["one"][1], endTime=stamps["one"][3])
    assert [message for _, message in within] == ["one 1", "two 1", "one 2", "two 2", "one 3"]


# find_log_groups_by_name_or_arn ---------------------------------------------------------------------
def test_a_log_group_identifier_finds_the_group_it_names(emulator: Any) -> None:
    logs = emulator.client("logs")
    named, _ = log_group(emulator, {"s": ["in the named group"]})
    log_group(emulator, {"s": ["in a later group"]})
    arn = next(g["logGroupArn"] for g in logs.describe_log_groups(logGroupNamePrefix=named)["logGroups"])
    events = logs.get_log_events(logGroupIdentifier=arn, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in events] == ["in the named group"]
    assert logs.filter_log_events(logGroupIdentifier=named)["events"][0]["message"] == "in the named group"


def test_a_growing_stream_is_read_forward_as_the_sagemaker_sdk_reads_it(emulator: Any) -> None:
    """GetLogEvents from the head with nextForwardToken: each read gives the events written since the
    last, and the same token at the end (the SageMaker SDK's logs and trainctl stop on it)."""
    from sagemaker.logs import multi_stream_iter

    logs = emulator.client("logs")
    group, _ = log_group(emulator, {"job/algo-1-1": ["epoch 1", "epoch 2"], "job/algo-2-1": ["epoch 1 (2)"]})
    read = [event["message"] for _, event in multi_stream_iter(logs, group, ["job/algo-1-1", "job/algo-2-1"])]
    assert read == ["epoch 1", "epoch 1 (2)", "epoch 2"]  # both streams, in time order

    first = logs.get_log_events(logGroupName=group, logStreamName="job/algo-1-1", startFromHead=True)
    end = logs.get_log_events(
        logGroupName=group, logStreamName="job/algo-1-1", startFromHead=True, nextToken=first["nextForwardToken"]
    )
    assert end["events"] == [] and end["nextForwardToken"] == first["nextForwardToken"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="job/algo-1-1",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": "epoch 3"}],
    )
    new = logs.get_log_events(
        logGroupName=group, logStreamName="job/algo-1-1", startFromHead=True, nextToken=end["nextForwardToken"]
    )
    assert [e["message"] for e in new["events"]] == ["epoch 3"]
    newest = logs.get_log_events(logGroupName=group, logStreamName="job/algo-1-1", limit=2)
    assert [e["message"] for e in newest["events"]] == ["epoch 2", "epoch 3"]


# turn_log_events_into_metrics_with_metric_filters ----------------------------------------------------
def test_a_metric_filter_counts_matching_events_and_puts_its_default_for_the_others(emulator: Any) -> None:
    logs, cloudwatch = emulator.client("logs"), emulator.client("cloudwatch")
    group, _ = log_group(emulator, {"setup": ["nothing yet"]})
    namespace = unique("test/metrics")
    for name, transformation in (
        ("failed-jobs", {"metricName": "Failed", "metricValue": "1", "defaultValue": 0}),
        ("failed-seconds", {"metricName": "FailedSeconds", "metricValue": "$.seconds"}),
    ):
        logs.put_metric_filter(
            logGroupName=group,
            filterName=name,
            filterPattern='{ $.status = "Failed" }',
            metricTransformations=[{**transformation, "metricNamespace": namespace}],
        )
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="setup",
        logEvents=[
            {"timestamp": now, "message": json.dumps({"status": "Failed", "seconds": 40})},
            {"timestamp": now + 1, "message": json.dumps({"status": "Completed", "seconds": 400})},
            {"timestamp": now + 2, "message": json.dumps({"status": "Failed", "seconds": 2})},
        ],
    )

    def statistics(metric: str) -> dict[str, float] | None:
        points = cloudwatch.get_metric_statistics(
            Namespace=namespace,
            MetricName=metric,
            StartTime=datetime.now(UTC) - timedelta(minutes=5),
            EndTime=datetime.now(UTC) + timedelta(minutes=1),
            Period=3600,
            Statistics=["Sum", "SampleCount"],
        )["Datapoints"]
        if not points:
            return None
        return {"Sum": sum(p["Sum"] for p in points), "SampleCount": sum(p["SampleCount"] for p in points)}

    assert wait_for(lambda: statistics("Failed")) == {"Sum": 2.0, "SampleCount": 3.0}
    assert statistics("FailedSeconds") == {"Sum": 42.0, "SampleCount": 2.0}
