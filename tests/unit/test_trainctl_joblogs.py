"""Reading a job's CloudWatch logs while it runs: every instance's stream, only new lines each time."""

import contextlib
import time

import boto3
import pytest

from platform_contract import TRAINING_JOB_LOG_GROUP
from trainctl.joblogs import JobLogReader, LogLine, instance_of

JOB = "gan-2024-05-01-10-00-00-000"
NOW = int(time.time() * 1000)  # CloudWatch drops events older than 14 days


@pytest.fixture
def logs(mocked_aws):
    yield boto3.client("logs", region_name="eu-west-1")


def write(logs, stream, *events):
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=stream)
    logs.put_log_events(
        logGroupName=TRAINING_JOB_LOG_GROUP,
        logStreamName=stream,
        logEvents=[{"timestamp": NOW + stamp, "message": message} for stamp, message in events],
    )


@pytest.mark.parametrize(
    ("stream", "instance"),
    [(f"{JOB}/algo-1-1714557600", "algo-1"), (f"{JOB}/algo-12-1714557600", "algo-12"), ("algo-2", "algo-2")],
)
def test_instance_is_the_stream_name_without_job_and_start_epoch(stream, instance):
    assert instance_of(stream) == instance


def test_no_log_group_yet_means_no_lines(logs):
    assert JobLogReader(logs, JOB).poll() == []


def test_lines_of_all_instances_are_merged_in_time_order_and_prefixed(logs):
    logs.create_log_group(logGroupName=TRAINING_JOB_LOG_GROUP)
    write(logs, f"{JOB}/algo-1-1714557600", (1000, "epoch 1 GAN_loss=0.9;"), (3000, "epoch 2 GAN_loss=0.5;"))
    write(logs, f"{JOB}/algo-2-1714557600", (2000, "worker ready\n"))
    lines = JobLogReader(logs, JOB).poll()
    assert [str(line) for line in lines] == [
        "[algo-1] epoch 1 GAN_loss=0.9;",
        "[algo-2] worker ready",
        "[algo-1] epoch 2 GAN_loss=0.5;",
    ]


def test_each_poll_returns_only_what_was_written_since_including_new_streams(logs):
    logs.create_log_group(logGroupName=TRAINING_JOB_LOG_GROUP)
    write(logs, f"{JOB}/algo-1-1714557600", (1000, "a"))
    reader = JobLogReader(logs, JOB)
    assert [line.message for line in reader.poll()] == ["a"]
    assert reader.poll() == []
    write(logs, f"{JOB}/algo-1-1714557600", (2000, "b"), (2500, "c"))
    write(logs, f"{JOB}/algo-2-1714557601", (2200, "d"))
    assert [str(line) for line in reader.poll()] == ["[algo-1] b", "[algo-2] d", "[algo-1] c"]
    assert reader.poll() == []


def test_other_jobs_sharing_a_name_prefix_are_not_read(logs):
    logs.create_log_group(logGroupName=TRAINING_JOB_LOG_GROUP)
    write(logs, f"{JOB}-retry/algo-1-1714557600", (1000, "not mine"))
    write(logs, f"{JOB}/algo-1-1714557600", (1000, "mine"))
    assert [line.message for line in JobLogReader(logs, JOB).poll()] == ["mine"]


def test_long_streams_are_read_page_by_page_with_the_forward_token(logs):
    logs.create_log_group(logGroupName=TRAINING_JOB_LOG_GROUP)
    write(logs, f"{JOB}/algo-1-1714557600", *[(1000 + i, f"line {i}") for i in range(7)])
    calls = []
    logs.meta.events.register(
        "before-call.logs.GetLogEvents", lambda params, **_: calls.append(params.get("nextToken"))
    )
    reader = JobLogReader(logs, JOB, page_limit=3)
    assert [line.message for line in reader.poll()] == [f"line {i}" for i in range(7)]
    assert len(calls) >= 3  # 3 + 3 + 1 lines, then the end-of-stream answer
    write(logs, f"{JOB}/algo-1-1714557600", (2000, "late"))
    assert reader.poll() == [LogLine("algo-1", NOW + 2000, "late")]


def test_many_streams_are_listed_page_by_page(logs):
    logs.create_log_group(logGroupName=TRAINING_JOB_LOG_GROUP)
    for host in range(1, 53):  # describe_log_streams returns 50 at most per page
        write(logs, f"{JOB}/algo-{host}-1714557600", (host, f"host {host}"))
    pages = []
    logs.meta.events.register("before-call.logs.DescribeLogStreams", lambda params, **_: pages.append(params))
    lines = JobLogReader(logs, JOB).poll()
    assert len(pages) == 2
    assert len(lines) == 52
    assert lines[-1] == LogLine("algo-52", NOW + 52, "host 52")
