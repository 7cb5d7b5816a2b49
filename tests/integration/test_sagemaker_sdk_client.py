"""The real SageMaker Python SDK 2.x, pointed at the emulator as a notebook user's is at AWS, after a
training run through the deployed platform with examples/gan-seed.json: Estimator.attach and its
model_data, the job's logs, TrainingJobAnalytics over the CloudWatch metrics SageMaker publishes from
the job's log lines, and the SDK's ListTrainingJobs-based list_futures.

The SDK builds its own CloudWatch and CloudWatch Logs clients: it reaches the emulator through
AWS_ENDPOINT_URL only. Its config files, the working directory's project tags and its telemetry are
isolated as in the parity tests."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from statistics import fmean
from typing import Any

import pytest
from execution_waits import execution_output, finished_execution

from emulator.demo import CONSOLE_EXAMPLE, with_deployed_buckets
from platform_contract import TRAINING_JOB_LOG_GROUP

SEED_METRICS = ["loss", "ganloss", "discloss", "disc-combined"]
# 3 epochs over the Training phase (45 % of the job, in 5 blocks of lines): more than a second apart,
# so that one-second statistics hold one printed value each.
EPOCHS = 3
EMULATOR_SECONDS = 12


@pytest.fixture(scope="module")
def trained(emulator: Any, platform: Any) -> dict[str, Any]:
    """The seed's console input, its buckets replaced by the deployed ones, run by the platform to the end."""
    execution_input = with_deployed_buckets(CONSOLE_EXAMPLE, platform.outputs)
    base_job_name = f"sdk{uuid.uuid4().hex[:8]}"
    execution_input["base_job_name"] = base_job_name
    execution_input["hyperparameters"].update(
        epochs=EPOCHS, emulator_seconds=EMULATOR_SECONDS, run=uuid.uuid4().hex[:10]
    )
    sfn = emulator.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=platform.state_machine_arn, input=json.dumps(execution_input))
    described = finished_execution(sfn, execution["executionArn"])
    assert described["status"] == "SUCCEEDED", described.get("cause")
    job_name = execution_output(described)["job_name"]
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=job_name)
    assert job["TrainingJobStatus"] == "Completed"
    return {
        "job": job,
        "base_job_name": base_job_name,
        "definitions": execution_input["metric_definitions"],
        "lines": printed_lines(emulator, job_name),
    }


def printed_lines(emulator: Any, job_name: str) -> list[tuple[datetime, str]]:
    logs = emulator.client("logs")
    (stream,) = logs.describe_log_streams(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamNamePrefix=f"{job_name}/")[
        "logStreams"
    ]
    events = logs.get_log_events(
        logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=stream["logStreamName"], startFromHead=True
    )["events"]
    return [(datetime.fromtimestamp(e["timestamp"] / 1000, UTC), e["message"]) for e in events]


def printed_values(trained: dict[str, Any]) -> dict[str, list[tuple[datetime, float]]]:
    """Each metric's values as the job's log lines print them, read with the seed's regexes."""
    values: dict[str, list[tuple[datetime, float]]] = {}
    for timestamp, message in trained["lines"]:
        for definition in trained["definitions"]:
            found = re.search(definition["Regex"], message)
            if found:
                values.setdefault(definition["Name"], []).append((timestamp, float(found.group(1))))
    return values


def test_estimator_attach_gives_the_job_s_settings_and_model(emulator: Any, sdk_session: Any, trained: Any) -> None:
    from sagemaker.estimator import Estimator

    job = trained["job"]
    estimator = Estimator.attach(job["TrainingJobName"], sagemaker_session=sdk_session)

    assert estimator.latest_training_job.name == job["TrainingJobName"]
    assert estimator.model_data == job["ModelArtifacts"]["S3ModelArtifacts"]
    assert estimator.model_data.endswith(f"/{job['TrainingJobName']}/output/model.tar.gz")
    bucket, key = estimator.model_data.removeprefix("s3://").split("/", 1)
    emulator.client("s3").head_object(Bucket=bucket, Key=key)
    assert (estimator.instance_type, estimator.instance_count) == ("ml.g4dn.xlarge", 1)
    assert estimator.role == job["RoleArn"]
    # The platform's key, which it gives every job whose input names none.
    assert estimator.output_kms_key == job["OutputDataConfig"]["KmsKeyId"]
    assert estimator.output_kms_key.startswith(f"arn:aws:kms:{emulator.region}:")
    assert estimator.hyperparameters()["epochs"] == str(EPOCHS)
    assert {"Key": "CER", "Value": "1"} in estimator.tags


def test_estimator_logs_prints_the_job_s_lines(sdk_session: Any, trained: Any, capsys: Any) -> None:
    from sagemaker.estimator import Estimator

    job = trained["job"]
    estimator = Estimator.attach(job["TrainingJobName"], sagemaker_session=sdk_session)
    capsys.readouterr()
    estimator.logs()
    text = capsys.readouterr().out
    printed = text.splitlines()

    container_lines = [message for _, message in trained["lines"]]
    assert container_lines[0] == f"Starting training job {job['TrainingJobName']} on ml.g4dn.xlarge"
    # Every line, in order (the SDK prints the first one right after its status line, on the same line).
    assert text.count(f"{container_lines[0]}\n") == 1
    assert "\n".join(container_lines) in text
    # The SDK, not the job's log, prints the times, from DescribeTrainingJob.
    assert not any("Training seconds" in line for line in container_lines)
    assert printed.count(f"Training seconds: {job['TrainingTimeInSeconds']}") == 1
    assert printed.count(f"Billable seconds: {job['BillableTimeInSeconds']}") == 1


def test_training_job_analytics_has_the_values_the_log_lines_print(sdk_session: Any, trained: Any) -> None:
    from sagemaker.analytics import TrainingJobAnalytics

    job, printed = trained["job"], printed_values(trained)
    assert set(printed) == set(SEED_METRICS)
    seconds = TrainingJobAnalytics(
        job["TrainingJobName"], metric_names=SEED_METRICS, sagemaker_session=sdk_session, period=1
    ).dataframe()
    for metric in SEED_METRICS:
        rows = seconds[seconds["metric_name"] == metric].sort_values("timestamp")
        points = printed[metric]
        assert list(rows["value"]) == [value for _, value in points], metric
        first = points[0][0]
        for elapsed, (timestamp, _) in zip(rows["timestamp"], points, strict=True):
            assert elapsed <= (timestamp - first).total_seconds() < elapsed + 1  # the second that holds the line
        assert all(job["TrainingStartTime"] <= timestamp <= job["TrainingEndTime"] for timestamp, _ in points)
        assert rows["timestamp"].max() <= job["TrainingTimeInSeconds"]

    # The SDK's defaults: the job's own metric names, one-minute statistics (one minute holds the whole job).
    minutes = TrainingJobAnalytics(job["TrainingJobName"], sagemaker_session=sdk_session).dataframe()
    assert sorted(minutes["metric_name"]) == sorted(SEED_METRICS)
    for metric, value in zip(minutes["metric_name"], minutes["value"], strict=True):
        assert value == pytest.approx(fmean(v for _, v in printed[metric]))


def test_final_metrics_are_the_last_values_printed(trained: Any) -> None:
    last = {metric: points[-1] for metric, points in printed_values(trained).items()}
    assert trained["job"]["FinalMetricDataList"] == [
        {"MetricName": metric, "Value": last[metric][1], "Timestamp": last[metric][0]} for metric in SEED_METRICS
    ]


def test_list_futures_finds_the_job_by_its_base_name_across_pages(sdk_session: Any, trained: Any) -> None:
    """The SDK's ListTrainingJobs-based helper: NameContains, and every NextToken followed (the session
    holds more jobs than a default page, and the name filter applies to the page once cut)."""
    from sagemaker.remote_function.client import list_futures

    futures = list(list_futures(trained["base_job_name"], sagemaker_session=sdk_session))
    assert len(futures) == 1
    assert futures[0].done() and not futures[0].cancelled()
