"""What the workflow does with a tuning request (a training request with a `tuner`): the route it takes, what a
person reads in its output or result file (the tuning job, its best training job and that job's model, its
training jobs by status), and how a tuning job that fails, is stopped or meets its name in use ends.

The definition runs as deployed in moto's Step Functions interpreter (workflow_runs.py), with SageMaker's tuning
jobs ending as each test scripts them, the real Prepare and result-writer handlers, and moto's S3.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from test_training_workflow_executions import (
    DATA_BUCKET,
    MAX_CAPACITY_RETRIES,
    PLATFORM_ENVIRONMENT,
    TRAINING_INPUT,
    platform_handlers,
    request_file_event,
    result_file,
)
from workflow_runs import (
    BEST_OBJECTIVE_VALUE,
    NAME_IN_USE,
    REGION,
    TUNING_COMPLETED,
    TUNING_FAILED,
    TUNING_STOPPED,
    TuningEnd,
    Workflow,
    workflow_in_moto,
)

from platform_contract import (
    EXECUTION_TAG_KEY,
    TUNING_JOB_NAME_FIELD,
    BestTrainingJobField,
    JobNameOrigin,
    TrainingJobCountField,
    TuningOutputField,
    WorkflowState,
)

PREPARE = WorkflowState.PREPARE.value
RUN_TUNING_JOB = WorkflowState.RUN_TUNING_JOB.value
START_TUNING_JOB = WorkflowState.START_TUNING_JOB.value
TUNING_INPUT = {
    **TRAINING_INPUT,
    "tuner": {
        "objective_metric_name": "GAN_loss",
        "objective_type": "Minimize",
        "metric_definitions": [{"Name": "GAN_loss", "Regex": "GAN_loss=(.*?);"}],
        "hyperparameter_ranges": {"learning_rate": {"type": "Continuous", "min_value": 0.0001, "max_value": 0.01}},
        "max_jobs": 5,
        "max_parallel_jobs": 2,
    },
}


@pytest.fixture(scope="module")
def deployed_workflow() -> Iterator[Workflow]:
    with workflow_in_moto(PLATFORM_ENVIRONMENT, MAX_CAPACITY_RETRIES, platform_handlers) as workflow:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=DATA_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=DATA_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield workflow


@pytest.fixture
def workflow(deployed_workflow: Workflow) -> Workflow:
    """The deployed workflow with SageMaker holding no job (each test's names are its own)."""
    for held in (deployed_workflow.sagemaker.jobs, deployed_workflow.sagemaker.tuning_jobs):
        held.clear()
    deployed_workflow.sagemaker.requests.clear()
    deployed_workflow.sagemaker.tuning_requests.clear()
    return deployed_workflow


def tuning_job_name(workflow: Workflow) -> str:
    (request,) = workflow.tuning_requests
    return str(request["HyperParameterTuningJobName"])


def test_a_completed_tuning_job_gives_its_best_training_job_its_model_and_its_training_jobs(
    workflow: Workflow,
) -> None:
    execution = workflow.run(TUNING_INPUT, TUNING_COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    name = tuning_job_name(workflow)
    best = f"{name}-002-5d8f0a1b"
    links = execution.prepared[0]["links"]
    assert execution.output == {
        TuningOutputField.TUNING_JOB_NAME.value: name,
        TuningOutputField.TUNING_JOB_ARN.value: workflow.sagemaker.tuning_jobs[name]["HyperParameterTuningJobArn"],
        TuningOutputField.STATUS.value: "Completed",
        TuningOutputField.CONSOLE_URL.value: links["console"],
        TuningOutputField.BEST_TRAINING_JOB.value: {
            BestTrainingJobField.NAME.value: best,
            BestTrainingJobField.OBJECTIVE_METRIC.value: "GAN_loss",
            BestTrainingJobField.OBJECTIVE_VALUE.value: BEST_OBJECTIVE_VALUE,
            # The tuning job's description has no model: the best job's own description gives it.
            BestTrainingJobField.MODEL_ARTIFACTS.value: f"s3://artifacts-bucket/{best}/output/model.tar.gz",
            BestTrainingJobField.TUNED_HYPERPARAMETERS.value: {"learning_rate": "0.002"},
        },
        # SageMaker counts retryable and non-retryable failures apart: a person reads one number.
        TuningOutputField.TRAINING_JOB_COUNTS.value: {
            TrainingJobCountField.COMPLETED.value: 3,
            TrainingJobCountField.STOPPED.value: 0,
            TrainingJobCountField.FAILED.value: 2,
            TrainingJobCountField.IN_PROGRESS.value: 0,
        },
        TuningOutputField.LINKS.value: links,
    }
    # The tuning job's page in the console of the execution's region.
    assert links["console"] == (
        f"https://{REGION}.console.aws.amazon.com/sagemaker/home?region={REGION}#/hyper-tuning-jobs/{name}"
    )
    assert execution.entered[:4] == ["Begin", PREPARE, "Route", RUN_TUNING_JOB]
    assert "DescribeBestTrainingJob" in execution.entered and workflow.requests == []


def test_sagemaker_receives_the_tuning_request_prepare_built_with_the_execution_tag(workflow: Workflow) -> None:
    execution = workflow.run(TUNING_INPUT)

    (prepared,) = execution.prepared
    execution_tag = {"Key": EXECUTION_TAG_KEY, "Value": execution.arn}
    assert workflow.tuning_requests == [{**prepared["request"], "Tags": [*prepared["request"]["Tags"], execution_tag]}]
    # trainctl follows the tuning job Prepare's output names.
    assert prepared[TUNING_JOB_NAME_FIELD] == tuning_job_name(workflow)


def test_a_tuning_job_without_a_best_training_job_completes_without_one(workflow: Workflow) -> None:
    execution = workflow.run(TUNING_INPUT, TuningEnd("Completed", best=False))

    assert execution.status == "SUCCEEDED", execution
    assert TuningOutputField.BEST_TRAINING_JOB.value not in execution.output
    assert "DescribeBestTrainingJob" not in execution.entered


def test_wait_false_creates_the_tuning_job_and_ends_without_waiting_for_it(workflow: Workflow) -> None:
    execution = workflow.run({**TUNING_INPUT, "wait": False})

    assert execution.status == "SUCCEEDED", execution
    name = tuning_job_name(workflow)
    assert execution.output == {
        TuningOutputField.TUNING_JOB_NAME.value: name,
        TuningOutputField.TUNING_JOB_ARN.value: workflow.sagemaker.tuning_jobs[name]["HyperParameterTuningJobArn"],
        TuningOutputField.STATUS.value: "InProgress",
        TuningOutputField.CONSOLE_URL.value: execution.output["links"]["console"],
        TuningOutputField.LINKS.value: execution.output["links"],
    }
    assert START_TUNING_JOB in execution.entered and RUN_TUNING_JOB not in execution.entered


@pytest.mark.parametrize(
    ("answer", "error", "cause"),
    [
        (TUNING_FAILED, "TuningJobFailed", f"failed: {TUNING_FAILED.failure_reason}"),
        (TUNING_STOPPED, "TuningJobStopped", "was stopped; its best training job so far: "),
    ],
)
def test_a_tuning_job_that_ends_badly_fails_the_execution_saying_why(
    workflow: Workflow, answer: TuningEnd, error: str, cause: str
) -> None:
    execution = workflow.run(TUNING_INPUT, answer)

    name = tuning_job_name(workflow)
    assert (execution.status, execution.error) == ("FAILED", error)
    assert execution.cause.startswith(f"Tuning job {name} {cause}"), execution.cause
    assert execution.entered[-1] == error


def test_a_tuning_job_name_the_user_chose_that_is_in_use_fails_saying_so(workflow: Workflow) -> None:
    chosen = {**TUNING_INPUT, "job_name": "gan-tuning-7"}
    assert workflow.run(chosen).status == "SUCCEEDED"

    execution = workflow.run(chosen)

    assert (execution.status, execution.error) == ("FAILED", "TuningJobNameInUse")
    assert execution.cause == (
        "Tuning job name gan-tuning-7 is already in use: SageMaker never reuses a tuning job name. "
        "Choose another job_name, or leave it out to get a generated one."
    )


def test_a_generated_tuning_job_name_in_use_is_replaced_by_a_fresh_one(workflow: Workflow) -> None:
    execution = workflow.run(TUNING_INPUT, NAME_IN_USE, TUNING_COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    first, second = (request["HyperParameterTuningJobName"] for request in workflow.tuning_requests)
    assert first != second and execution.output[TuningOutputField.TUNING_JOB_NAME.value] == second


def test_a_tuning_request_file_has_its_best_training_job_written_to_its_result(workflow: Workflow) -> None:
    event = request_file_event("requests/gan-tuning.json", TUNING_INPUT)

    execution = workflow.run(event, TUNING_COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    assert execution.prepared[0]["job_name_origin"] == JobNameOrigin.EVENT.value
    output: dict[str, Any] = execution.output
    assert result_file("results/gan-tuning.json") == {
        "request": f"s3://{DATA_BUCKET}/requests/gan-tuning.json",
        "request_version_id": event["detail"]["object"]["version-id"],
        "status": "Completed",
        "tuning_job_name": tuning_job_name(workflow),
        "best_training_job": output[TuningOutputField.BEST_TRAINING_JOB.value],
        "links": output["links"],
        "execution_arn": execution.arn,
    }


def test_a_tuning_request_file_whose_tuning_job_fails_has_the_reason_written_to_its_result(
    workflow: Workflow,
) -> None:
    execution = workflow.run(request_file_event("requests/gan-tuning.json", TUNING_INPUT), TUNING_FAILED)

    assert (execution.status, execution.error) == ("FAILED", "TuningJobFailed")
    result = result_file("results/gan-tuning.json")
    assert (result["status"], result["failure_reason"]) == ("Failed", TUNING_FAILED.failure_reason)
    assert result["tuning_job_name"] == tuning_job_name(workflow) and "best_training_job" not in result


def test_a_redelivered_tuning_request_file_event_ends_as_a_duplicate(workflow: Workflow) -> None:
    event = request_file_event("requests/gan-tuning.json", TUNING_INPUT)
    assert workflow.run(event).status == "SUCCEEDED"

    execution = workflow.run(event)

    assert execution.status == "SUCCEEDED", execution
    # The event names the tuning job: the second create met the first job's name, and no second job was made.
    first, again = (request["HyperParameterTuningJobName"] for request in workflow.tuning_requests)
    assert first == again and list(workflow.sagemaker.tuning_jobs) == [first]
    assert execution.output["status"] == "Duplicate"
    assert execution.output["message"].startswith(f"This event was delivered before: tuning job {first} was started")
    # The first execution's outcome stays in the result file.
    assert result_file("results/gan-tuning.json")["status"] == "Completed"
