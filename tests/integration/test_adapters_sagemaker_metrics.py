"""give_training_jobs_a_lifecycle (emulator/adapters/sagemaker.py), its metrics: the emulated container
prints lines the job's own MetricDefinitions match, SageMaker's side publishes every value to CloudWatch
(namespace /aws/sagemaker/TrainingJobs, dimension TrainingJobName, the line's timestamp) and the last
ones are the job's FinalMetricDataList. The SageMaker SDK reading them: test_sagemaker_sdk_client.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from adapter_resources import final_job, training_request, unique

from emulator import process
from platform_contract import TRAINING_JOB_LOG_GROUP, TRAINING_JOB_METRICS_NAMESPACE

SEED_DEFINITIONS = [
    {"Name": "loss", "Regex": "Loss = (.*?);"},
    {"Name": "ganloss", "Regex": "GAN_loss=(.*?);"},
    {"Name": "discloss", "Regex": "disc_train_loss=(.*?);"},
    {"Name": "disc-combined", "Regex": "disc-combined=(.*?);"},
]


def printed_lines(emulator: Any, job_name: str) -> list[tuple[datetime, str]]:
    """(timestamp, message) of every line on the job's first instance's stream."""
    logs = emulator.client("logs")
    (stream,) = logs.describe_log_streams(
        logGroupName=TRAINING_JOB_LOG_GROUP, logStreamNamePrefix=f"{job_name}/algo-1-"
    )["logStreams"]
    events = logs.get_log_events(
        logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=stream["logStreamName"], startFromHead=True
    )["events"]
    return [(datetime.fromtimestamp(e["timestamp"] / 1000, UTC), e["message"]) for e in events]


def values_in(
    lines: list[tuple[datetime, str]], definitions: list[dict[str, str]]
) -> dict[str, list[tuple[datetime, float]]]:
    """What the lines print for each metric, read with the definitions' regexes."""
    values: dict[str, list[tuple[datetime, float]]] = {}
    for timestamp, message in lines:
        for definition in definitions:
            found = re.search(definition["Regex"], message)
            if found:
                values.setdefault(definition["Name"], []).append((timestamp, float(found.group(1))))
    return values


def statistics(emulator: Any, job: dict[str, Any], metric: str) -> dict[str, Any]:
    """The metric's one-minute statistics over the job's training (it trains well under a minute)."""
    datapoints = emulator.client("cloudwatch").get_metric_statistics(
        Namespace=TRAINING_JOB_METRICS_NAMESPACE,
        MetricName=metric,
        Dimensions=[{"Name": "TrainingJobName", "Value": job["TrainingJobName"]}],
        StartTime=job["TrainingStartTime"],
        EndTime=job["TrainingEndTime"] + timedelta(minutes=1),
        Period=60,
        Statistics=["SampleCount", "Minimum", "Maximum", "Sum"],
    )["Datapoints"]
    assert len(datapoints) == 1, datapoints
    return dict(datapoints[0])


# give_training_jobs_a_lifecycle -----------------------------------------------------------------
def test_the_lines_the_job_prints_carry_the_values_cloudwatch_and_the_final_metrics_have(
    emulator: Any, output_bucket: str
) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket, epochs="200", learning_rate="0.0002")
    request["AlgorithmSpecification"]["MetricDefinitions"] = SEED_DEFINITIONS
    sagemaker.create_training_job(**request)
    job = final_job(sagemaker, request["TrainingJobName"])

    lines = printed_lines(emulator, job["TrainingJobName"])
    assert [m for _, m in lines if m.startswith("Epoch ")] == [f"Epoch {e}/200" for e in (40, 80, 120, 160, 200)]
    printed = values_in(lines, SEED_DEFINITIONS)
    assert set(printed) == {"loss", "ganloss", "discloss", "disc-combined"}
    for metric, points in printed.items():
        curve = [value for _, value in points]
        assert len(curve) == 5 and curve == sorted(curve, reverse=True) and curve[0] > curve[-1], (metric, curve)
        assert all(job["TrainingStartTime"] <= t <= job["TrainingEndTime"] for t, _ in points)
        published = statistics(emulator, job, metric)
        assert published["SampleCount"] == len(curve)
        assert (published["Minimum"], published["Maximum"]) == (min(curve), max(curve))
        assert published["Sum"] == pytest.approx(sum(curve))

    last = {metric: points[-1] for metric, points in printed.items()}
    assert job["FinalMetricDataList"] == [
        {"MetricName": d["Name"], "Value": last[d["Name"]][1], "Timestamp": last[d["Name"]][0]}
        for d in SEED_DEFINITIONS
    ]


def test_a_regex_no_line_can_be_written_for_prints_nothing_and_says_so_in_the_emulator_log(
    emulator: Any, output_bucket: str
) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket)
    lookbehind = {"Name": "odd", "Regex": r"(?<=x)odd=([0-9.]+)"}
    request["AlgorithmSpecification"]["MetricDefinitions"] = [lookbehind, SEED_DEFINITIONS[0]]
    sagemaker.create_training_job(**request)
    job = final_job(sagemaker, request["TrainingJobName"])
    assert [m["MetricName"] for m in job["FinalMetricDataList"]] == ["loss"]
    assert not any("odd=" in message for _, message in printed_lines(emulator, job["TrainingJobName"]))
    log = process.EmulatorFiles(emulator.port, emulator.state_dir).log_file.read_text()
    assert f"training job {job['TrainingJobName']}: no line printed for metric 'odd'" in log


def test_a_job_without_metric_definitions_prints_progress_only_and_publishes_nothing(
    emulator: Any, output_bucket: str
) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket, epochs="3")
    request["AlgorithmSpecification"].pop("MetricDefinitions")
    sagemaker.create_training_job(**request)
    job = final_job(sagemaker, request["TrainingJobName"])
    assert "FinalMetricDataList" not in job
    name = job["TrainingJobName"]
    assert [m for _, m in printed_lines(emulator, name)] == [
        f"Starting training job {name} on ml.m5.large",
        "Epoch 1/3",
        "Epoch 2/3",
        "Epoch 3/3",
        "Training complete, saving model to /opt/ml/model",
    ]
    dimensions = [{"Name": "TrainingJobName", "Value": name}]
    cloudwatch = emulator.client("cloudwatch")
    assert cloudwatch.list_metrics(Namespace=TRAINING_JOB_METRICS_NAMESPACE, Dimensions=dimensions)["Metrics"] == []


def test_a_stopped_job_keeps_the_values_printed_before_it_stopped(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket, epochs="4", emulator_outcome="stopped")
    sagemaker.create_training_job(**request)
    job = final_job(sagemaker, request["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Stopped"
    printed = values_in(
        printed_lines(emulator, job["TrainingJobName"]), request["AlgorithmSpecification"]["MetricDefinitions"]
    )
    assert 0 < len(printed["loss"]) < 4  # stopped halfway through its epochs
    assert [(m["MetricName"], m["Value"]) for m in job["FinalMetricDataList"]] == [("loss", printed["loss"][-1][1])]
