"""The SageMaker adapter (emulator/adapters/sagemaker.py): training jobs go through their lifecycle,
leave artifact, logs and metrics, stop, fail when asked, refuse what SageMaker refuses, and are
described with the fields SageMaker returns (botocore's DescribeTrainingJob output shape).
Their metrics: test_adapters_sagemaker_metrics.py; ListTrainingJobs: test_adapters_sagemaker_list.py."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from adapter_resources import IMAGE, ROLE_ARN, final_job, training_request, unique
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator
from execution_waits import all_job_names, wait_for

from platform_contract import COST_TAG_KEY, COST_TAG_VALUE, TRAINING_JOB_LOG_GROUP
from training_request import build_training_job


# give_training_jobs_a_lifecycle -----------------------------------------------------------------
def test_a_training_job_goes_through_its_statuses_and_leaves_artifact_logs_and_metrics(
    emulator: Any, output_bucket: str
) -> None:
    sagemaker = emulator.client("sagemaker")
    name = unique("job")
    sagemaker.create_training_job(**training_request(name, output_bucket))
    first = sagemaker.describe_training_job(TrainingJobName=name)
    assert (first["TrainingJobStatus"], first["SecondaryStatus"]) == ("InProgress", "Starting")

    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed"
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == [
        "Starting",
        "Downloading",
        "Training",
        "Uploading",
        "Completed",
    ]
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{output_bucket}/models/{name}/output/model.tar.gz"
    emulator.client("s3").head_object(Bucket=output_bucket, Key=f"models/{name}/output/model.tar.gz")
    assert [m["MetricName"] for m in job["FinalMetricDataList"]] == ["loss"]
    # The instances run from Downloading on: training (and billing) time counts from there.
    downloading = next(t for t in job["SecondaryStatusTransitions"] if t["Status"] == "Downloading")
    assert job["TrainingStartTime"] == downloading["StartTime"]
    assert job["TrainingEndTime"] == job["SecondaryStatusTransitions"][-1]["StartTime"]
    seconds = round((job["TrainingEndTime"] - job["TrainingStartTime"]).total_seconds())
    assert job["TrainingTimeInSeconds"] == job["BillableTimeInSeconds"] == seconds
    assert job["HyperParameters"]["run"].startswith("run-")  # the request's fields, all kept

    logs = emulator.client("logs")
    streams = logs.describe_log_streams(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamNamePrefix=f"{name}/algo-1-")
    stream = streams["logStreams"][0]["logStreamName"]
    messages = [
        e["message"] for e in logs.get_log_events(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=stream)["events"]
    ]
    assert any(m.startswith("Loss = ") for m in messages)
    assert not any("Training seconds" in m for m in messages)  # the SDK prints that, from DescribeTrainingJob
    assert sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"] == [
        {"Key": COST_TAG_KEY, "Value": COST_TAG_VALUE}
    ]


def test_each_instance_logs_on_its_own_stream_while_the_job_trains(emulator: Any, output_bucket: str) -> None:
    sagemaker, logs = emulator.client("sagemaker"), emulator.client("logs")
    name = unique("job")
    request = training_request(name, output_bucket, emulator_seconds="10")  # Training: 4.5 s, a line every ~1 s
    request["ResourceConfig"]["InstanceCount"] = 2
    sagemaker.create_training_job(**request)

    def stream_messages() -> dict[str, list[str]]:
        try:
            streams = logs.describe_log_streams(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamNamePrefix=f"{name}/")
        except logs.exceptions.ResourceNotFoundException:
            return {}  # the session's first job has not written its first line yet
        return {
            s["logStreamName"].split("/")[1].rsplit("-", 1)[0]: [
                e["message"]
                for e in logs.get_log_events(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=s["logStreamName"])[
                    "events"
                ]
            ]
            for s in streams["logStreams"]
        }

    def first_lines_written() -> dict[str, list[str]] | None:
        messages = stream_messages()
        return messages if len(messages) == 2 and all(messages.values()) else None

    during = wait_for(first_lines_written, timeout=30, interval=0.2)
    assert sagemaker.describe_training_job(TrainingJobName=name)["SecondaryStatus"] == "Training"
    assert set(during) == {"algo-1", "algo-2"}
    assert not any("Training complete" in line for lines in during.values() for line in lines)  # more to come

    def last_lines_written() -> dict[str, list[str]] | None:
        messages = stream_messages()
        return messages if all(lines and "Training complete" in lines[-1] for lines in messages.values()) else None

    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Completed"
    after = wait_for(last_lines_written, timeout=10, interval=0.2)
    assert after["algo-1"] == after["algo-2"]
    assert any(line.startswith("Loss = ") for line in after["algo-1"])


def test_a_heterogeneous_cluster_logs_one_stream_per_host_over_all_its_groups(
    emulator: Any, output_bucket: str, sdk_session: Any, capsys: Any
) -> None:
    sagemaker, logs = emulator.client("sagemaker"), emulator.client("logs")
    name = unique("hetero")
    request = training_request(name, output_bucket)
    request["ResourceConfig"] = {
        "VolumeSizeInGB": 30,
        "InstanceGroups": [
            {"InstanceGroupName": "data", "InstanceType": "ml.c5.xlarge", "InstanceCount": 2},
            {"InstanceGroupName": "train", "InstanceType": "ml.m5.large", "InstanceCount": 1},
        ],
    }
    sagemaker.create_training_job(**request)
    assert final_job(sagemaker, name)["TrainingJobStatus"] == "Completed"

    def first_lines() -> dict[str, str] | None:
        streams = logs.describe_log_streams(logGroupName=TRAINING_JOB_LOG_GROUP, logStreamNamePrefix=f"{name}/")
        lines = {
            s["logStreamName"].split("/")[1].rsplit("-", 1)[0]: logs.get_log_events(
                logGroupName=TRAINING_JOB_LOG_GROUP, logStreamName=s["logStreamName"], startFromHead=True
            )["events"][0]["message"]
            for s in streams["logStreams"]
        }
        return lines if len(lines) == 3 else None

    assert wait_for(first_lines, timeout=10) == {
        "algo-1": f"Starting training job {name} on ml.c5.xlarge",
        "algo-2": f"Starting training job {name} on ml.c5.xlarge",
        "algo-3": f"Starting training job {name} on ml.m5.large",
    }
    # The SDK's logs (what Estimator.logs() calls; its attach itself reads ResourceConfig.InstanceCount,
    # which a heterogeneous job has none of) read as many streams as the groups have instances.
    capsys.readouterr()
    sdk_session.logs_for_job(name, wait=False)
    printed = capsys.readouterr().out
    assert printed.count(f"Starting training job {name} on ml.c5.xlarge") == 2
    assert printed.count(f"Starting training job {name} on ml.m5.large") == 1


@pytest.mark.parametrize(("outcome", "reason_start"), [("failed", "AlgorithmError: "), ("capacity", "CapacityError: ")])
def test_a_training_job_fails_when_asked(emulator: Any, output_bucket: str, outcome: str, reason_start: str) -> None:
    sagemaker = emulator.client("sagemaker")
    name = unique("job")
    sagemaker.create_training_job(**training_request(name, output_bucket, emulator_outcome=outcome))
    job = final_job(sagemaker, name)
    assert job["TrainingJobStatus"] == "Failed"
    assert job["FailureReason"].startswith(reason_start)


def test_an_outcome_sequence_fails_the_first_job_and_completes_the_retry(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket, emulator_outcome="capacity,completed")
    sagemaker.create_training_job(**request)
    retry = dict(request, TrainingJobName=unique("retry"))
    sagemaker.create_training_job(**retry)
    assert final_job(sagemaker, request["TrainingJobName"])["TrainingJobStatus"] == "Failed"
    assert final_job(sagemaker, retry["TrainingJobName"])["TrainingJobStatus"] == "Completed"


def test_stop_training_job_stops_it_and_a_stopped_outcome_stops_by_itself(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    long_job = unique("job")
    sagemaker.create_training_job(**training_request(long_job, output_bucket, emulator_seconds="60"))
    sagemaker.stop_training_job(TrainingJobName=long_job)
    assert sagemaker.describe_training_job(TrainingJobName=long_job)["TrainingJobStatus"] in ("Stopping", "Stopped")
    assert final_job(sagemaker, long_job)["TrainingJobStatus"] == "Stopped"

    self_stopping = unique("job")
    sagemaker.create_training_job(**training_request(self_stopping, output_bucket, emulator_outcome="stopped"))
    assert final_job(sagemaker, self_stopping)["TrainingJobStatus"] == "Stopped"


def test_a_duplicate_job_name_and_an_invalid_request_are_refused(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket)
    sagemaker.create_training_job(**request)
    with pytest.raises(ClientError) as duplicate:
        sagemaker.create_training_job(**request)
    assert duplicate.value.response["Error"]["Code"] == "ResourceInUse"

    invalid = {k: v for k, v in training_request(unique("job"), output_bucket).items() if k != "RoleArn"}
    with pytest.raises(ClientError) as refused:
        _send_without_client_validation(emulator, invalid)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "RoleArn" in refused.value.response["Error"]["Message"]
    assert invalid["TrainingJobName"] not in all_job_names(emulator)


_DESCRIBE_OUTPUT = (
    boto3.session.Session()._session.get_service_model("sagemaker").operation_model("DescribeTrainingJob").output_shape
)
_TRAINING_TIMES = ("TrainingStartTime", "TrainingEndTime", "TrainingTimeInSeconds", "BillableTimeInSeconds")


def shape_errors(described: dict[str, Any]) -> list[str]:
    """What botocore's model of DescribeTrainingJob's output finds wrong in a response: members it does
    not have, wrong types, required members missing."""
    response = {k: v for k, v in described.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(response, _DESCRIBE_OUTPUT)
    return report.generate_report().splitlines()[1:] if report.has_errors() else []


def test_describe_answers_with_the_members_sagemaker_fills_in(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket)
    request["InputDataConfig"] = [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://d/t/"}}}
    ]
    sagemaker.create_training_job(**request)

    running = sagemaker.describe_training_job(TrainingJobName=request["TrainingJobName"])
    # The model marks ModelArtifacts required; the emulator names the artifact only once it is written.
    assert [e for e in shape_errors(running) if "ModelArtifacts" not in e] == []
    job = final_job(sagemaker, request["TrainingJobName"])
    assert shape_errors(job) == []
    # What the SDK reads without a check (Estimator.attach, TrainingJobAnalytics), and SageMaker's defaults.
    assert job["OutputDataConfig"] == {
        "S3OutputPath": f"s3://{output_bucket}/models",
        "KmsKeyId": "",
        "CompressionType": "GZIP",
    }
    assert job["AlgorithmSpecification"]["MetricDefinitions"] == request["AlgorithmSpecification"]["MetricDefinitions"]
    assert job["AlgorithmSpecification"]["EnableSageMakerMetricsTimeSeries"] is False
    flags = ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining")
    assert {flag: job[flag] for flag in flags} == dict.fromkeys(flags, False)
    assert job["InputDataConfig"] == [
        {
            "ChannelName": "train",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://d/t/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "CompressionType": "None",
            "RecordWrapperType": "None",
        }
    ]
    assert (job["RoleArn"], job["StoppingCondition"]) == (request["RoleArn"], request["StoppingCondition"])
    assert job["ProfilingStatus"] == "Disabled"
    assert "Tags" not in job  # ListTags has them
    assert "DebugRuleEvaluationStatuses" not in job and "ProfilerRuleEvaluationStatuses" not in job


def test_a_job_s_own_settings_are_described_as_sent(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = training_request(unique("job"), output_bucket)
    request["OutputDataConfig"].update(KmsKeyId="alias/training", CompressionType="NONE")
    request["AlgorithmSpecification"].pop("MetricDefinitions")
    request.update(EnableNetworkIsolation=True, EnableManagedSpotTraining=True)
    request["StoppingCondition"]["MaxWaitTimeInSeconds"] = 7200
    sagemaker.create_training_job(**request)
    job = sagemaker.describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert (job["OutputDataConfig"]["KmsKeyId"], job["OutputDataConfig"]["CompressionType"]) == (
        "alias/training",
        "NONE",
    )
    assert job["AlgorithmSpecification"]["MetricDefinitions"] == []
    assert (job["EnableNetworkIsolation"], job["EnableManagedSpotTraining"]) == (True, True)
    assert job["EnableInterContainerTrafficEncryption"] is False
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert "FinalMetricDataList" not in final_job(sagemaker, request["TrainingJobName"])  # no metric definitions


def test_debugger_and_profiler_rules_report_their_evaluation(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    rule_image = "895741380848.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-debugger-rules:latest"
    request = training_request(unique("job"), output_bucket)
    request.update(
        DebugHookConfig={"S3OutputPath": f"s3://{output_bucket}/debug"},
        DebugRuleConfigurations=[{"RuleConfigurationName": "LossNotDecreasing", "RuleEvaluatorImage": rule_image}],
        ProfilerConfig={"S3OutputPath": f"s3://{output_bucket}/profiler", "DisableProfiler": False},
        ProfilerRuleConfigurations=[{"RuleConfigurationName": "ProfilerReport", "RuleEvaluatorImage": rule_image}],
    )
    sagemaker.create_training_job(**request)
    running = sagemaker.describe_training_job(TrainingJobName=request["TrainingJobName"])
    assert running["ProfilingStatus"] == "Enabled"
    assert running["ProfilerConfig"]["ProfilingIntervalInMilliseconds"] == 500  # SageMaker's default
    assert [
        (s["RuleConfigurationName"], s["RuleEvaluationStatus"]) for s in running["DebugRuleEvaluationStatuses"]
    ] == [("LossNotDecreasing", "InProgress")]
    job = final_job(sagemaker, request["TrainingJobName"])
    assert shape_errors(job) == []
    statuses = job["DebugRuleEvaluationStatuses"] + job["ProfilerRuleEvaluationStatuses"]
    assert [(s["RuleConfigurationName"], s["RuleEvaluationStatus"]) for s in statuses] == [
        ("LossNotDecreasing", "NoIssuesFound"),
        ("ProfilerReport", "NoIssuesFound"),
    ]
    assert all(s["LastModifiedTime"] == job["TrainingEndTime"] for s in statuses)


def test_a_job_that_never_had_instances_reports_no_training_time(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    no_capacity = training_request(unique("job"), output_bucket, emulator_outcome="capacity")
    sagemaker.create_training_job(**no_capacity)
    stopped_at_once = training_request(unique("job"), output_bucket, emulator_seconds="60")  # 15 s Starting
    sagemaker.create_training_job(**stopped_at_once)
    sagemaker.stop_training_job(TrainingJobName=stopped_at_once["TrainingJobName"])
    failed, stopped = (final_job(sagemaker, request["TrainingJobName"]) for request in (no_capacity, stopped_at_once))
    for job in (failed, stopped):
        assert "Downloading" not in [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert [time for time in _TRAINING_TIMES if time in failed] == []
    # A stopped job has ended all the same, with no training time.
    assert [time for time in _TRAINING_TIMES if time in stopped] == ["TrainingEndTime"]
    assert stopped["TrainingEndTime"] == stopped["SecondaryStatusTransitions"][-1]["StartTime"]


def _send_without_client_validation(emulator: Any, request: dict[str, Any]) -> None:
    """Send as Step Functions does, without botocore's client-side parameter validation."""
    raw = boto3.client(
        "sagemaker",
        endpoint_url=emulator.endpoint,
        region_name=emulator.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False),
    )
    raw.create_training_job(**request)


# give_training_jobs_a_lifecycle: script mode on a heterogeneous cluster, as the request builder sends it
def test_a_script_mode_job_on_instance_groups_reads_its_json_hyperparameters(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    execution_input = {
        "role": ROLE_ARN,
        "image_uri": IMAGE,
        "output_path": f"s3://{output_bucket}/models",
        "job_name": unique("script"),
        "entry_point": "train.py",
        "source_dir": f"s3://{output_bucket}/code/sourcedir.tar.gz",
        "instance_groups": [
            {"instance_group_name": "gpu", "instance_type": "ml.g5.xlarge", "instance_count": 1},
            {"instance_group_name": "cpu", "instance_type": "ml.c5.xlarge", "instance_count": 2},
        ],
        "keep_alive_period_in_seconds": 0,
        "enable_infra_check": True,
        "hyperparameters": {"emulator_outcome": "failed"},
    }
    request = build_training_job(execution_input, region=emulator.region).request
    assert request["HyperParameters"]["emulator_outcome"] == '"failed"'  # JSON-encoded, as the SDK sends it

    sagemaker.create_training_job(**request)
    job = final_job(sagemaker, request["TrainingJobName"])

    assert job["TrainingJobStatus"] == "Failed"  # the container read `failed`, not '"failed"'
    assert job["ResourceConfig"]["InstanceGroups"] == request["ResourceConfig"]["InstanceGroups"]
    assert job["HyperParameters"] == request["HyperParameters"]
