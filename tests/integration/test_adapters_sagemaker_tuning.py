"""The SageMaker tuning adapter (emulator/adapters/sagemaker_tuning.py): a tuning job launches real
emulated training jobs, never more at once than allowed, names and tags them as SageMaker does, finds
the one nearest the metrics' optimum, fails when every training job fails, stops a worse job early,
stops; read with boto3, the SageMaker Python SDK 2.x and a Step Functions `.sync` task."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from adapter_resources import IMAGE, ROLE_ARN, unique
from call_records import calls, find, one
from execution_waits import execution_output, finished_execution, wait_for
from test_aws_cli_client import AwsCli, aws  # noqa: F401 (a fixture: the AWS CLI pointed at the emulator)

from emulator import DEFAULT_REGION
from emulator.tuning_job_state import no_training_job_succeeded
from platform_contract import COST_TAG_KEY, COST_TAG_VALUE, SAGEMAKER_TUNING_SYNC_RULE
from training_request import build_tuning_job

ENDED = ("Completed", "Failed", "Stopped")
SECONDS = "2"  # each training job's run time


def tuning_request(bucket: str, hyperparameters: dict[str, str] | None = None, **tuner: Any) -> dict[str, Any]:
    """The CreateHyperParameterTuningJob request the platform's builder makes (as the SDK's
    HyperparameterTuner does) for a small Random tuning job over learning_rate, whose metrics' optimum
    is learning_rate=0.001; `tuner` overrides HyperparameterTuner's arguments."""
    tuning_input = {
        "job_name": unique("tune"),
        "role": ROLE_ARN,
        "image_uri": IMAGE,
        "output_path": f"s3://{bucket}/tuning",
        "instance_type": "ml.m5.large",
        "instance_count": 1,
        "hyperparameters": {"emulator_seconds": SECONDS, **(hyperparameters or {})},
        "tuner": {
            "objective_metric_name": "loss",
            "objective_type": "Minimize",
            "metric_definitions": [
                {"Name": "loss", "Regex": "Loss = (.*?);"},
                {"Name": "accuracy", "Regex": "accuracy=(.*?);"},
            ],
            "hyperparameter_ranges": {
                "learning_rate": {
                    "type": "Continuous",
                    "min_value": 0.00001,
                    "max_value": 0.1,
                    "scaling_type": "Logarithmic",
                }
            },
            "strategy": "Random",
            "max_jobs": 4,
            "max_parallel_jobs": 2,
            **tuner,
        },
    }
    return build_tuning_job(tuning_input, region=DEFAULT_REGION).request


def categorical(name: str, *values: str) -> dict[str, Any]:
    return {name: {"type": "Categorical", "values": list(values)}}


def training_jobs_of(sagemaker: Any, name: str, **filters: Any) -> list[dict[str, Any]]:
    pages = sagemaker.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=name, **filters
    )
    return [summary for page in pages for summary in page["TrainingJobSummaries"]]


def ended_tuning_job(sagemaker: Any, name: str, running_at_once: list[int] | None = None) -> dict[str, Any]:
    """The tuning job once ended; with `running_at_once`, every poll appends how many of its training
    jobs are InProgress (ListTrainingJobsForHyperParameterTuningJob)."""

    def ended() -> dict[str, Any] | None:
        if running_at_once is not None:
            running_at_once.append(len(training_jobs_of(sagemaker, name, StatusEquals="InProgress")))
        described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        return described if described["HyperParameterTuningJobStatus"] in ENDED else None

    return wait_for(ended, timeout=120, interval=0.2)


def distance(summary: dict[str, Any]) -> float:
    return abs(math.log10(float(summary["TunedHyperParameters"]["learning_rate"]) / 0.001))


@pytest.fixture(scope="module")
def completed(emulator: Any, output_bucket: str) -> dict[str, Any]:
    """A Random tuning job of 4 training jobs, 2 at a time, minimizing the loss."""
    sagemaker = emulator.client("sagemaker")
    request = tuning_request(output_bucket)
    sagemaker.create_hyper_parameter_tuning_job(**request)
    running_at_once: list[int] = []
    described = ended_tuning_job(sagemaker, request["HyperParameterTuningJobName"], running_at_once)
    return {"request": request, "described": described, "running_at_once": running_at_once}


# run_hyperparameter_tuning_jobs ---------------------------------------------------------------------
def test_a_tuning_job_runs_its_training_jobs_and_reports_them(emulator: Any, completed: dict[str, Any]) -> None:
    sagemaker = emulator.client("sagemaker")
    request, described = completed["request"], completed["described"]
    name = request["HyperParameterTuningJobName"]
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert max(completed["running_at_once"]) == 2  # MaxParallelTrainingJobs: used, never exceeded
    assert described["TrainingJobStatusCounters"] == {
        "Completed": 4,
        "InProgress": 0,
        "RetryableError": 0,
        "NonRetryableError": 0,
        "Stopped": 0,
    }
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}
    assert described["HyperParameterTuningJobConfig"] == request["HyperParameterTuningJobConfig"]
    # As sent, but for the objective's name SageMaker adds to the static hyperparameters, and the
    # ResourceConfig the SDK's HyperparameterTuner.attach reads.
    definition = request["TrainingJobDefinition"]
    static = {**definition["StaticHyperParameters"], "_tuning_objective_metric": "loss"}
    resources = definition["HyperParameterTuningResourceConfig"]
    assert described["TrainingJobDefinition"] == {
        **definition,
        "StaticHyperParameters": static,
        "ResourceConfig": resources,
    }
    assert described["HyperParameterTuningEndTime"] >= described["CreationTime"]

    summaries = training_jobs_of(sagemaker, name)
    assert len(summaries) == 4
    assert all(re.fullmatch(rf"{name}-00[1-4]-[0-9a-f]{{8}}", s["TrainingJobName"]) for s in summaries)
    job = sagemaker.describe_training_job(TrainingJobName=summaries[0]["TrainingJobName"])
    assert job["TuningJobArn"] == described["HyperParameterTuningJobArn"]
    assert job["HyperParameters"] == {**static, **summaries[0]["TunedHyperParameters"]}
    assert 0.00001 <= float(summaries[0]["TunedHyperParameters"]["learning_rate"]) <= 0.1
    loss = next(m["Value"] for m in job["FinalMetricDataList"] if m["MetricName"] == "loss")
    assert summaries[0]["FinalHyperParameterTuningJobObjectiveMetric"] == {
        "Type": "Minimize",
        "MetricName": "loss",
        "Value": loss,
    }
    # The tuning job's tags are on it and, propagated by SageMaker, on every training job it launched.
    cost_tag = {"Key": COST_TAG_KEY, "Value": COST_TAG_VALUE}
    assert cost_tag in sagemaker.list_tags(ResourceArn=described["HyperParameterTuningJobArn"])["Tags"]
    for summary in summaries:
        assert cost_tag in sagemaker.list_tags(ResourceArn=summary["TrainingJobArn"])["Tags"]


@pytest.mark.parametrize(("objective_type", "metric"), [("Minimize", "loss"), ("Maximize", "accuracy")])
def test_the_best_training_job_is_the_one_nearest_the_optimum(
    emulator: Any, output_bucket: str, completed: dict[str, Any], objective_type: str, metric: str
) -> None:
    sagemaker = emulator.client("sagemaker")
    if objective_type == "Minimize":
        name, described = completed["request"]["HyperParameterTuningJobName"], completed["described"]
    else:
        request = tuning_request(output_bucket, objective_type=objective_type, objective_metric_name=metric)
        name = request["HyperParameterTuningJobName"]
        sagemaker.create_hyper_parameter_tuning_job(**request)
        described = ended_tuning_job(sagemaker, name)
    summaries = training_jobs_of(sagemaker, name)
    nearest = min(summaries, key=distance)
    assert described["BestTrainingJob"]["TrainingJobName"] == nearest["TrainingJobName"]
    assert described["BestTrainingJob"]["ObjectiveStatus"] == "Succeeded"
    ordered = training_jobs_of(
        sagemaker,
        name,
        SortBy="FinalObjectiveMetricValue",
        SortOrder="Ascending" if objective_type == "Minimize" else "Descending",
        MaxResults=1,
    )
    assert [s["TrainingJobName"] for s in ordered] == [s["TrainingJobName"] for s in sorted(summaries, key=distance)]


def test_the_sdk_attaches_to_the_tuning_job_and_reads_its_results(
    sdk_session: Any,
    completed: dict[str, Any],
) -> None:
    from sagemaker.analytics import HyperparameterTuningJobAnalytics
    from sagemaker.tuner import HyperparameterTuner

    name = completed["request"]["HyperParameterTuningJobName"]
    tuner = HyperparameterTuner.attach(name, sagemaker_session=sdk_session)
    assert tuner.objective_metric_name == "loss"
    assert tuner.max_jobs == 4 and tuner.max_parallel_jobs == 2
    assert tuner.best_training_job() == completed["described"]["BestTrainingJob"]["TrainingJobName"]
    frame = HyperparameterTuningJobAnalytics(name, sagemaker_session=sdk_session).dataframe()
    assert len(frame) == 4
    assert set(frame["TrainingJobStatus"]) == {"Completed"}
    best = frame.loc[frame["FinalObjectiveValue"].idxmin()]
    assert best["TrainingJobName"] == completed["described"]["BestTrainingJob"]["TrainingJobName"]
    assert (frame["TrainingElapsedTimeSeconds"] > 0).all()


def test_the_aws_cli_lists_the_training_jobs_best_first(aws: AwsCli, completed: dict[str, Any]) -> None:  # noqa: F811
    name = completed["request"]["HyperParameterTuningJobName"]
    described = aws("sagemaker", "describe-hyper-parameter-tuning-job", "--hyper-parameter-tuning-job-name", name)
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    listed = aws(
        "sagemaker",
        "list-training-jobs-for-hyper-parameter-tuning-job",
        "--hyper-parameter-tuning-job-name",
        name,
        "--sort-by",
        "FinalObjectiveMetricValue",
        "--page-size",
        "1",
    )["TrainingJobSummaries"]
    assert len(listed) == 4  # every page followed
    assert listed[0]["TrainingJobName"] == described["BestTrainingJob"]["TrainingJobName"]


def test_a_tuning_job_s_end_reaches_eventbridge_as_sagemaker_s_state_change(emulator: Any, output_bucket: str) -> None:
    sns, sqs, events = emulator.client("sns"), emulator.client("sqs"), emulator.client("events")
    topic = sns.create_topic(Name=unique("tuning"))["TopicArn"]
    queue = sqs.create_queue(QueueName=unique("inbox"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    request = tuning_request(output_bucket, max_jobs=1, max_parallel_jobs=1)
    rule = unique("tuning-ends")
    pattern = {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker HyperParameter Tuning Job State Change"],
        "detail": {
            "HyperParameterTuningJobName": [request["HyperParameterTuningJobName"]],
            "HyperParameterTuningJobStatus": ["Completed", "Failed", "Stopped"],
        },
    }
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "topic", "Arn": topic, "InputPath": "$.detail"}])
    emulator.client("sagemaker").create_hyper_parameter_tuning_job(**request)
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages"), timeout=60)
    detail = json.loads(messages[0]["Body"])
    assert detail["HyperParameterTuningJobStatus"] == "Completed"
    assert detail["TrainingJobStatusCounters"]["Completed"] == 1
    assert isinstance(detail["CreationTime"], int)  # epoch milliseconds, as SageMaker's events carry times


def test_a_tuning_job_whose_training_jobs_all_fail_fails(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = tuning_request(output_bucket, {"emulator_outcome": "failed"}, max_jobs=2)
    sagemaker.create_hyper_parameter_tuning_job(**request)
    described = ended_tuning_job(sagemaker, request["HyperParameterTuningJobName"])
    assert described["HyperParameterTuningJobStatus"] == "Failed"
    assert described["FailureReason"] == no_training_job_succeeded(2)
    assert described["TrainingJobStatusCounters"]["NonRetryableError"] == 2
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 0, "Pending": 0, "Failed": 2}
    assert "BestTrainingJob" not in described


def test_a_grid_over_emulator_outcome_fails_one_training_job_of_a_completed_tuning_job(
    emulator: Any, output_bucket: str
) -> None:
    sagemaker = emulator.client("sagemaker")
    ranges = categorical("emulator_outcome", "failed", "completed")
    request = tuning_request(output_bucket, strategy="Grid", hyperparameter_ranges=ranges, max_jobs=None)
    sagemaker.create_hyper_parameter_tuning_job(**request)
    described = ended_tuning_job(sagemaker, request["HyperParameterTuningJobName"])
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    summaries = training_jobs_of(sagemaker, request["HyperParameterTuningJobName"])
    assert {s["TunedHyperParameters"]["emulator_outcome"]: s["TrainingJobStatus"] for s in summaries} == {
        "failed": "Failed",
        "completed": "Completed",
    }
    assert described["BestTrainingJob"]["TunedHyperParameters"] == {"emulator_outcome": "completed"}


def test_early_stopping_stops_a_training_job_worse_than_the_earlier_ones(emulator: Any, output_bucket: str) -> None:
    """Grid, one at a time: the optimum's learning rate first, then one 3 decades away, whose first
    loss is worse than the first job's running average at the same epoch."""
    sagemaker = emulator.client("sagemaker")
    ranges = categorical("learning_rate", "0.001", "1.0")
    request = tuning_request(
        output_bucket,
        strategy="Grid",
        hyperparameter_ranges=ranges,
        max_jobs=None,
        max_parallel_jobs=1,
        early_stopping_type="Auto",
    )
    sagemaker.create_hyper_parameter_tuning_job(**request)
    described = ended_tuning_job(sagemaker, request["HyperParameterTuningJobName"])
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    statuses = {
        s["TunedHyperParameters"]["learning_rate"]: s["TrainingJobStatus"]
        for s in training_jobs_of(sagemaker, request["HyperParameterTuningJobName"])
    }
    assert statuses == {"0.001": "Completed", "1.0": "Stopped"}
    assert described["TrainingJobStatusCounters"]["Stopped"] == 1
    assert described["BestTrainingJob"]["TunedHyperParameters"] == {"learning_rate": "0.001"}


def test_stopping_a_tuning_job_stops_its_training_jobs(emulator: Any, output_bucket: str) -> None:
    sagemaker = emulator.client("sagemaker")
    request = tuning_request(output_bucket, {"emulator_seconds": "60"})
    name = request["HyperParameterTuningJobName"]
    sagemaker.create_hyper_parameter_tuning_job(**request)
    with pytest.raises(sagemaker.exceptions.ResourceInUse):
        sagemaker.create_hyper_parameter_tuning_job(**request)
    wait_for(lambda: len(training_jobs_of(sagemaker, name, StatusEquals="InProgress")) == 2, timeout=30)
    sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "HyperParameterTuningJobStatus"
    ] in ("Stopping", "Stopped")
    described = ended_tuning_job(sagemaker, name)
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    assert [s["TrainingJobStatus"] for s in training_jobs_of(sagemaker, name)] == ["Stopped", "Stopped"]
    listed = sagemaker.list_hyper_parameter_tuning_jobs(NameContains=name, StatusEquals="Stopped")
    assert [s["HyperParameterTuningJobName"] for s in listed["HyperParameterTuningJobSummaries"]] == [name]
    arn = described["HyperParameterTuningJobArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    assert {"Key": "team", "Value": "ml"} in sagemaker.list_tags(ResourceArn=arn)["Tags"]


def test_tuning_calls_are_recorded_with_their_context(emulator: Any, completed: dict[str, Any]) -> None:
    request = completed["request"]
    arn = completed["described"]["HyperParameterTuningJobArn"]
    records = calls(emulator)
    create = one(records, action="sagemaker:CreateHyperParameterTuningJob", resource=arn)
    assert create["context"]["aws:RequestTag/CER"] == "1"
    assert create["context"]["sagemaker:InstanceTypes"] == ["ml.m5.large"]
    assert create["context"]["sagemaker:MaxRuntimeInSeconds"] == "86400"  # the builder's default max_run
    passed = one(records, action="iam:PassRole", resource=ROLE_ARN, sequence=lambda s: s > create["sequence"])
    assert passed["context"]["iam:PassedToService"] == "sagemaker.amazonaws.com"
    assert find(records, action="sagemaker:DescribeHyperParameterTuningJob", resource=arn)
    # The training jobs are SageMaker's own: nobody is authorized to create them, each assumes the role.
    training = training_jobs_of(emulator.client("sagemaker"), request["HyperParameterTuningJobName"])
    for summary in training:
        assert not find(records, action="sagemaker:CreateTrainingJob", resource=summary["TrainingJobArn"])
        assumed = one(
            records,
            action="sts:AssumeRole",
            resource=ROLE_ARN,
            context=lambda c, s=summary: c.get("aws:SourceArn") == s["TrainingJobArn"],
        )
        assert assumed["principal"] == "sagemaker.amazonaws.com"


# run_create_training_job_sync_in_step_functions: createHyperParameterTuningJob.sync ------------------
_PASSED = {
    "HyperParameterTuningJobConfig.$": "$.HyperParameterTuningJobConfig",
    "TrainingJobDefinition.$": "$.TrainingJobDefinition",
    "Tags.$": "$.Tags",
}


@pytest.fixture(scope="module")
def tuning_machine(emulator: Any) -> str:
    definition = {
        "StartAt": "Tune",
        "States": {
            "Tune": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync",
                "Parameters": {"HyperParameterTuningJobName.$": "$.HyperParameterTuningJobName", **_PASSED},
                "End": True,
            }
        },
    }
    sfn = emulator.client("stepfunctions")
    return sfn.create_state_machine(name=unique("tune"), definition=json.dumps(definition), roleArn=ROLE_ARN)[
        "stateMachineArn"
    ]


def small_tuning_request(bucket: str, **hyperparameters: str) -> dict[str, Any]:
    return tuning_request(bucket, hyperparameters, max_jobs=2)


def test_create_tuning_job_sync_returns_the_completed_tuning_job(
    emulator: Any, output_bucket: str, tuning_machine: str
) -> None:
    sfn = emulator.client("stepfunctions")
    request = small_tuning_request(output_bucket)
    since = len(calls(emulator))
    execution = sfn.start_execution(stateMachineArn=tuning_machine, input=json.dumps(request))["executionArn"]
    described = finished_execution(sfn, execution)
    assert described["status"] == "SUCCEEDED"
    output = execution_output(described)
    assert (output["HyperParameterTuningJobName"], output["HyperParameterTuningJobStatus"]) == (
        request["HyperParameterTuningJobName"],
        "Completed",
    )
    assert isinstance(output["CreationTime"], int)  # epoch milliseconds, as Step Functions gives them
    assert output["BestTrainingJob"]["TrainingJobStatus"] == "Completed"
    records = calls(emulator, since)
    rule = f"arn:aws:events:{emulator.region}:123456789012:rule/{SAGEMAKER_TUNING_SYNC_RULE}"
    for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
        assert one(records, action=action, resource=rule)["principal"] == ROLE_ARN


def test_create_tuning_job_request_response_answers_with_the_arn(emulator: Any, output_bucket: str) -> None:
    sfn, sagemaker = emulator.client("stepfunctions"), emulator.client("sagemaker")
    definition = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createHyperParameterTuningJob",
                "Parameters": {"HyperParameterTuningJobName.$": "$.HyperParameterTuningJobName", **_PASSED},
                "End": True,
            }
        },
    }
    machine = sfn.create_state_machine(name=unique("start"), definition=json.dumps(definition), roleArn=ROLE_ARN)
    request = tuning_request(output_bucket, max_jobs=1, max_parallel_jobs=1)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(request))
    described = finished_execution(sfn, execution["executionArn"])
    assert described["status"] == "SUCCEEDED"
    name = request["HyperParameterTuningJobName"]
    arn = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)["HyperParameterTuningJobArn"]
    assert execution_output(described) == {"HyperParameterTuningJobArn": arn}


def test_create_tuning_job_sync_fails_with_the_tuning_job_description_as_cause(
    emulator: Any, output_bucket: str, tuning_machine: str
) -> None:
    sfn = emulator.client("stepfunctions")
    request = small_tuning_request(output_bucket, emulator_outcome="failed")
    execution = sfn.start_execution(stateMachineArn=tuning_machine, input=json.dumps(request))["executionArn"]
    described = finished_execution(sfn, execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")
    cause = json.loads(described["cause"])
    assert (cause["HyperParameterTuningJobName"], cause["HyperParameterTuningJobStatus"]) == (
        request["HyperParameterTuningJobName"],
        "Failed",
    )
    assert cause["FailureReason"] == no_training_job_succeeded(2)


def test_stopping_the_execution_stops_its_tuning_job(emulator: Any, output_bucket: str, tuning_machine: str) -> None:
    sfn, sagemaker = emulator.client("stepfunctions"), emulator.client("sagemaker")
    request = small_tuning_request(output_bucket, emulator_seconds="60")
    name = request["HyperParameterTuningJobName"]
    execution = sfn.start_execution(stateMachineArn=tuning_machine, input=json.dumps(request))["executionArn"]
    wait_for(
        lambda: _exists(sagemaker, name) and len(training_jobs_of(sagemaker, name, StatusEquals="InProgress")) == 2
    )
    sfn.stop_execution(executionArn=execution)
    assert finished_execution(sfn, execution)["status"] == "ABORTED"
    assert ended_tuning_job(sagemaker, name)["HyperParameterTuningJobStatus"] == "Stopped"


def _exists(sagemaker: Any, name: str) -> bool:
    try:
        sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    except sagemaker.exceptions.ResourceNotFound:
        return False
    return True
