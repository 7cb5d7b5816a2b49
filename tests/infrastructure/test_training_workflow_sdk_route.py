"""The AWS SDK route: a request with a member SageMaker's optimised integration may refuse is created with
`aws-sdk:sagemaker:createTrainingJob` and followed by describing the job, and ends as the optimised route
does (same outputs, failures, stops, capacity retries, name-in-use handling).

The definition runs as deployed in moto's Step Functions interpreter (workflow_runs.py), with the real
Prepare and result-writer handlers, as in test_training_workflow_executions.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_training_workflow_executions import (
    MAX_CAPACITY_RETRIES,
    PLATFORM_ENVIRONMENT,
    TRAINING_INPUT,
    platform_handlers,
)
from workflow_runs import (
    BAD_ENDS,
    CAPACITY,
    COMPLETED,
    NAME_IN_USE,
    THROTTLED,
    JobEnd,
    LostAnswer,
    Workflow,
    completed_summary,
    workflow_in_moto,
)

from platform_contract import CREATE_ROUTE_FIELD, EXECUTION_TAG_KEY, JOB_NAME_FIELD, CreateRoute, WorkflowState

VIA_SDK = WorkflowState.CREATE_TRAINING_JOB_VIA_SDK.value
RUN_TRAINING_JOB = WorkflowState.RUN_TRAINING_JOB.value
START_TRAINING_JOB = WorkflowState.START_TRAINING_JOB.value
# RetryStrategy is not among the members the optimised integration is known to pass.
SDK_INPUT = {**TRAINING_INPUT, "max_retry_attempts": 2}


@pytest.fixture(scope="module")
def deployed_workflow() -> Iterator[Workflow]:
    with workflow_in_moto(PLATFORM_ENVIRONMENT, MAX_CAPACITY_RETRIES, platform_handlers) as workflow:
        yield workflow


@pytest.fixture
def workflow(deployed_workflow: Workflow) -> Workflow:
    deployed_workflow.sagemaker.jobs.clear()
    deployed_workflow.sagemaker.requests.clear()
    deployed_workflow.sagemaker.tags.clear()
    return deployed_workflow


def test_prepare_names_the_route_and_a_default_request_takes_the_optimised_one(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT)

    assert execution.prepared[0][CREATE_ROUTE_FIELD] == CreateRoute.OPTIMISED.value
    assert RUN_TRAINING_JOB in execution.entered and VIA_SDK not in execution.entered


def test_a_job_created_via_the_sdk_is_followed_to_completion_with_the_same_summary(workflow: Workflow) -> None:
    execution = workflow.run(SDK_INPUT, JobEnd("Completed", running_for=2))

    assert execution.status == "SUCCEEDED", execution
    (prepared,) = execution.prepared
    assert prepared[CREATE_ROUTE_FIELD] == CreateRoute.SDK.value
    # SageMaker gets the request whole, RetryStrategy included, with the execution's tag, as on the other route.
    execution_tag = {"Key": EXECUTION_TAG_KEY, "Value": execution.arn}
    assert workflow.requests == [{**prepared["request"], "Tags": [*prepared["request"]["Tags"], execution_tag]}]
    assert workflow.requests[0]["RetryStrategy"] == {"MaximumRetryAttempts": 2}
    name = prepared[JOB_NAME_FIELD]
    assert execution.output == completed_summary(name, execution.output["links"])
    assert RUN_TRAINING_JOB not in execution.entered
    # Described until it ended: twice InProgress, then Completed.
    assert execution.entered.count("DescribeOwnJob") == 3
    assert execution.entered[:4] == ["Begin", WorkflowState.PREPARE.value, "Route", VIA_SDK]


@pytest.mark.parametrize(("end", "error", "cause"), BAD_ENDS)
def test_a_job_created_via_the_sdk_that_ends_badly_fails_as_on_the_optimised_route(
    workflow: Workflow, end: JobEnd, error: str, cause: str
) -> None:
    execution = workflow.run(SDK_INPUT, end)

    (name,) = workflow.job_names
    assert (execution.status, execution.error, execution.cause) == ("FAILED", error, cause.format(name=name))
    assert VIA_SDK in execution.entered


def test_a_capacity_failure_via_the_sdk_is_retried_under_a_fresh_name_on_the_same_route(workflow: Workflow) -> None:
    execution = workflow.run(SDK_INPUT, CAPACITY, COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    first, second = workflow.requests
    assert first["TrainingJobName"] != second["TrainingJobName"]
    assert {**first, "TrainingJobName": "-"} == {**second, "TrainingJobName": "-"}
    assert execution.output["capacity_retries"] == 1
    assert execution.entered.count(VIA_SDK) == 2 and RUN_TRAINING_JOB not in execution.entered


def test_capacity_retries_via_the_sdk_stop_at_the_configured_count(workflow: Workflow) -> None:
    execution = workflow.run(SDK_INPUT, *[CAPACITY] * (MAX_CAPACITY_RETRIES + 1))

    assert (execution.status, execution.error) == ("FAILED", "TrainingJobFailed")
    assert len(set(workflow.job_names)) == MAX_CAPACITY_RETRIES + 1


def test_wait_false_via_the_sdk_ends_once_the_job_is_created(workflow: Workflow) -> None:
    execution = workflow.run({**SDK_INPUT, "wait": False}, JobEnd("Completed", running_for=5))

    assert execution.status == "SUCCEEDED", execution
    (name,) = workflow.job_names
    assert execution.output == {
        JOB_NAME_FIELD: name,
        "job_arn": workflow.sagemaker.jobs[name]["TrainingJobArn"],
        "status": "InProgress",
        "links": execution.output["links"],
    }
    assert "DescribeOwnJob" not in execution.entered and START_TRAINING_JOB not in execution.entered


def test_a_chosen_name_in_use_via_the_sdk_fails_saying_so(workflow: Workflow) -> None:
    # SageMaker's ResourceInUse, as the AWS SDK integration names it, is recognised as the name in use.
    workflow.run({**TRAINING_INPUT, "job_name": "gan-run-7"})
    execution = workflow.run({**SDK_INPUT, "job_name": "gan-run-7"})

    assert (execution.status, execution.error) == ("FAILED", "JobNameInUse")
    assert "DescribeJobInUse" in execution.entered


def test_a_generated_name_in_use_via_the_sdk_is_replaced(workflow: Workflow) -> None:
    execution = workflow.run(SDK_INPUT, NAME_IN_USE, COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    assert len(set(workflow.job_names)) == 2


def test_a_job_whose_create_answer_was_lost_via_the_sdk_is_followed_as_the_executions_own(workflow: Workflow) -> None:
    execution = workflow.run(SDK_INPUT, LostAnswer(JobEnd("Completed", running_for=1), THROTTLED))

    assert execution.status == "SUCCEEDED", execution
    (name,) = set(workflow.job_names)
    assert execution.output[JOB_NAME_FIELD] == name
    assert "ReadJobInUseTags" in execution.entered
