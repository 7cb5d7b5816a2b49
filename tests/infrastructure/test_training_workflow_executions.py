"""What the training workflow does with an input: which route it takes, how it classifies a failure, and
what its execution ends with (output, or error and cause), for the inputs and SageMaker answers users meet.

The definition runs as deployed in moto's Step Functions interpreter (workflow_runs.py), with SageMaker
answering as each test scripts it, the real Prepare and result-writer handlers, and moto's S3.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from workflow_runs import (
    ACCOUNT,
    ALGORITHM_ERROR,
    BAD_ENDS,
    CAPACITY,
    COMPLETED,
    MAX_RUNTIME_EXCEEDED,
    NAME_IN_USE,
    REGION,
    THROTTLED,
    JobEnd,
    LostAnswer,
    Refusal,
    Workflow,
    completed_summary,
    workflow_in_moto,
)

from platform_contract import (
    EXECUTION_TAG_KEY,
    JOB_NAME_FIELD,
    JobNameOrigin,
    PrepareEnvironment,
    WorkflowState,
    WriteResultEnvironment,
)
from stacks.training_definition import MAX_NAME_COLLISION_RETRIES

MAX_CAPACITY_RETRIES = 2
DATA_BUCKET = "data-bucket"
PLATFORM_ENVIRONMENT = {
    PrepareEnvironment.DEFAULT_ROLE_ARN.value: f"arn:aws:iam::{ACCOUNT}:role/training-execution",
    PrepareEnvironment.DEFAULT_IMAGE_URI.value: f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/training:latest",
    PrepareEnvironment.DEFAULT_OUTPUT_PATH.value: "s3://artifacts-bucket/",
    PrepareEnvironment.DEFAULT_CHECKPOINT_S3_URI.value: "s3://checkpoints-bucket/",
    PrepareEnvironment.READABLE_BUCKETS.value: f"{DATA_BUCKET},artifacts-bucket",
    PrepareEnvironment.WRITABLE_BUCKETS.value: "artifacts-bucket,checkpoints-bucket",
    PrepareEnvironment.REQUEST_PREFIX.value: "requests/",
    # WriteResult's variables (the same prefixes): both handlers run in this process.
    WriteResultEnvironment.RESULT_PREFIX.value: "results/",
}
# The states trainctl looks for in an execution's history.
PREPARE = WorkflowState.PREPARE.value
RUN_TRAINING_JOB = WorkflowState.RUN_TRAINING_JOB.value
START_TRAINING_JOB = WorkflowState.START_TRAINING_JOB.value
TRAINING_INPUT = {
    "instance_type": "ml.m5.xlarge",
    "instance_count": 1,
    "inputs": {"train": f"s3://{DATA_BUCKET}/train/"},
}


def platform_handlers() -> dict[str, Any]:
    import prepare
    import request_file_store
    import write_result

    importlib.reload(request_file_store)  # its S3 client is made at import: make it inside moto
    return {
        "prepare": lambda event: prepare.handler(event, None),
        "write_result": lambda event: write_result.handler(event, None),
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
    """The deployed workflow with SageMaker holding no job and no request file in the bucket."""
    deployed_workflow.sagemaker.jobs.clear()
    deployed_workflow.sagemaker.requests.clear()
    deployed_workflow.sagemaker.tags.clear()
    deployed_workflow.sagemaker.tuning_jobs.clear()
    deployed_workflow.sagemaker.tuning_requests.clear()
    s3 = boto3.client("s3")
    versions = s3.list_object_versions(Bucket=DATA_BUCKET)
    for version in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=DATA_BUCKET, Key=version["Key"], VersionId=version["VersionId"])
    return deployed_workflow


def request_file_event(key: str, body: object) -> dict[str, Any]:
    """Upload a request file to moto's S3 and return the "Object Created" event EventBridge would deliver."""
    text = body if isinstance(body, str) else json.dumps(body)
    put = boto3.client("s3").put_object(Bucket=DATA_BUCKET, Key=key, Body=text.encode())
    return {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "region": REGION,
        "detail": {
            "bucket": {"name": DATA_BUCKET},
            "object": {"key": key, "etag": put["ETag"].strip('"'), "version-id": put["VersionId"]},
        },
    }


def result_file(key: str) -> dict[str, Any] | None:
    s3 = boto3.client("s3")
    try:
        return json.loads(s3.get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


# ---------------------------------------------------------------- routes of a console input


def test_a_completed_job_gives_a_usable_summary(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    (request,) = workflow.requests
    name = request["TrainingJobName"]
    assert request["RoleArn"] == PLATFORM_ENVIRONMENT[PrepareEnvironment.DEFAULT_ROLE_ARN.value]
    assert execution.output == completed_summary(name, execution.output["links"])
    assert name in execution.output["links"]["console"] and name in execution.output["links"]["logs"]


def test_sagemaker_receives_the_request_prepare_built_whole(workflow: Workflow) -> None:
    # Keys that appear only when used (VPC, checkpoints, ...) pass through as Prepare built them.
    execution = workflow.run({**TRAINING_INPUT, "checkpoint_s3_uri": "s3://checkpoints-bucket/gan/", "max_run": 3600})

    (prepared,) = execution.prepared
    # ... with the execution's own tag added, by which it recognises its job should it meet it under its name.
    execution_tag = {"Key": EXECUTION_TAG_KEY, "Value": execution.arn}
    assert workflow.requests == [{**prepared["request"], "Tags": [*prepared["request"]["Tags"], execution_tag]}]
    assert prepared["request"]["CheckpointConfig"]["S3Uri"] == "s3://checkpoints-bucket/gan/"
    # trainctl follows the job Prepare's output names, in the state it looks for.
    assert prepared[JOB_NAME_FIELD] == workflow.job_names[0]
    assert execution.entered == ["Begin", PREPARE, "Route", RUN_TRAINING_JOB, "ReportOutcome", "Conclude", "Completed"]


def test_wait_false_creates_the_job_and_ends_without_waiting_for_it(workflow: Workflow) -> None:
    execution = workflow.run({**TRAINING_INPUT, "wait": False})

    assert execution.status == "SUCCEEDED", execution
    (name,) = workflow.job_names
    assert execution.output == {
        JOB_NAME_FIELD: name,
        "job_arn": workflow.sagemaker.jobs[name]["TrainingJobArn"],
        "status": "InProgress",
        "links": execution.output["links"],
    }
    assert START_TRAINING_JOB in execution.entered and RUN_TRAINING_JOB not in execution.entered


def test_invalid_input_fails_naming_every_field_before_any_job(workflow: Workflow) -> None:
    execution = workflow.run({"instance_type": "m5.xlarge", "instance_count": 0, "inputs": {"train": "/data"}})

    assert (execution.status, execution.error) == ("FAILED", "InvalidTrainingInput")
    for field_name in ("instance_type", "instance_count", "inputs.train"):
        assert field_name in execution.cause
    assert "Traceback" not in execution.cause and "stackTrace" not in execution.cause
    assert execution.entered[-1] == "InvalidInput"
    assert workflow.requests == []


def test_prepare_failing_on_a_malformed_event_fails_with_its_message_and_no_traceback(workflow: Workflow) -> None:
    event = {
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": DATA_BUCKET}, "object": {"key": "requests/gan.json"}},
    }

    execution = workflow.run(event)

    assert (execution.status, execution.error) == ("FAILED", "MalformedEvent")
    assert (
        execution.cause
        == f"S3 event for s3://{DATA_BUCKET}/requests/gan.json has neither object.version-id nor object.etag"
    )
    assert execution.entered[-1] == "PreparationFailed"
    assert workflow.requests == []
    # The event still names a request file: its result says why nothing was trained.
    result = result_file("results/gan.json")
    assert (result["status"], result["failure_reason"]) == ("Failed", f"MalformedEvent: {execution.cause}")


# ---------------------------------------------------------------- how failures are classified


def test_a_capacity_failure_is_retried_with_the_same_request_under_a_fresh_name(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, CAPACITY, COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    first, second = workflow.requests
    assert first["TrainingJobName"] != second["TrainingJobName"]
    # Prepare rebuilt the request from the execution input, not from the failure it came back with.
    assert {**first, "TrainingJobName": "-"} == {**second, "TrainingJobName": "-"}
    assert execution.output[JOB_NAME_FIELD] == second["TrainingJobName"]
    assert execution.output["capacity_retries"] == 1
    assert [prepared[JOB_NAME_FIELD] for prepared in execution.prepared] == workflow.job_names


def test_capacity_retries_stop_at_the_configured_count(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, *[CAPACITY] * (MAX_CAPACITY_RETRIES + 1))

    assert (execution.status, execution.error) == ("FAILED", "TrainingJobFailed")
    assert execution.cause == (
        f"Training job {workflow.job_names[-1]} failed: {CAPACITY.failure_reason} "
        f"(after {MAX_CAPACITY_RETRIES} retries with a fresh job name)"
    )
    assert len(set(workflow.job_names)) == MAX_CAPACITY_RETRIES + 1


def test_a_job_name_the_user_chose_is_not_retried_for_capacity(workflow: Workflow) -> None:
    execution = workflow.run({**TRAINING_INPUT, "job_name": "gan-run-7"}, CAPACITY)

    assert execution.prepared[0]["job_name_origin"] == JobNameOrigin.INPUT.value
    assert (execution.status, execution.error) == ("FAILED", "TrainingJobFailed")
    assert workflow.job_names == ["gan-run-7"]


@pytest.mark.parametrize(("end", "error", "cause"), BAD_ENDS)
def test_a_job_that_ends_badly_fails_the_execution_with_sagemakers_reason(
    workflow: Workflow, end: JobEnd, error: str, cause: str
) -> None:
    execution = workflow.run(TRAINING_INPUT, end)

    (name,) = workflow.job_names
    assert (execution.status, execution.error, execution.cause) == ("FAILED", error, cause.format(name=name))


def test_a_generated_name_already_in_use_is_replaced_by_a_fresh_one(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, NAME_IN_USE, COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    assert execution.prepared[0]["job_name_origin"] == JobNameOrigin.GENERATED.value
    first, second = workflow.job_names
    assert first != second
    assert execution.output[JOB_NAME_FIELD] == second


def test_generated_names_in_use_are_replaced_a_bounded_number_of_times(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, *[NAME_IN_USE] * (MAX_NAME_COLLISION_RETRIES + 1))

    assert (execution.status, execution.error) == ("FAILED", "JobNameInUse")
    assert len(set(workflow.job_names)) == MAX_NAME_COLLISION_RETRIES + 1
    assert f"{workflow.job_names[-1]} is already in use" in execution.cause


def test_a_job_name_the_user_chose_that_is_in_use_fails_saying_so(workflow: Workflow) -> None:
    chosen = {**TRAINING_INPUT, "job_name": "gan-run-7"}
    assert workflow.run(chosen).status == "SUCCEEDED"

    execution = workflow.run(chosen)

    assert (execution.status, execution.error) == ("FAILED", "JobNameInUse")
    assert execution.cause == (
        "Training job name gan-run-7 is already in use: SageMaker never reuses a job name. "
        "Choose another job_name, or leave it out to get a generated one."
    )
    assert workflow.job_names == ["gan-run-7", "gan-run-7"]


def test_a_request_sagemaker_refuses_fails_with_the_integrations_error_and_cause(workflow: Workflow) -> None:
    # Not retried (unlike quotas and the generic exception): the error goes straight to the classification.
    refusal = Refusal("ResourceNotFound", "Could not find subnet subnet-0123abcd")

    execution = workflow.run(TRAINING_INPUT, refusal)

    assert (execution.status, execution.error) == ("FAILED", "SageMaker.ResourceNotFoundException")
    assert execution.cause.startswith("Could not find subnet subnet-0123abcd (Service: AmazonSageMaker;")
    assert "Error Code: ResourceNotFound" in execution.cause
    assert execution.entered[-5:] == [
        "ClassifyFailure",
        "RequestRefused",
        "ReportOutcome",
        "Conclude",
        "SageMakerRequestFailed",
    ]
    assert len(workflow.requests) == 1


# ---------------------------------------------------------------- a create retried after it succeeded


def test_a_job_created_by_an_attempt_whose_answer_was_lost_is_followed_as_the_executions_own(
    workflow: Workflow,
) -> None:
    # SageMaker created the job but throttled the answer; the retry meets the name in use: its own job.
    execution = workflow.run(TRAINING_INPUT, LostAnswer(COMPLETED, THROTTLED))

    assert execution.status == "SUCCEEDED", execution
    first, retry = workflow.job_names
    assert first == retry and list(workflow.sagemaker.jobs) == [first]  # one job, not a second one
    assert execution.output == completed_summary(first, execution.output["links"])
    assert "Duplicate" not in execution.entered and "RetryWithNewName" not in execution.entered


def test_the_executions_own_job_still_running_is_polled_to_its_end(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, LostAnswer(JobEnd("Completed", running_for=2), THROTTLED))

    assert (execution.status, execution.output["status"]) == ("SUCCEEDED", "Completed"), execution
    assert execution.entered.count("WaitForOwnJob") == 2
    assert execution.entered.count("DescribeOwnJob") == 2
    assert len(workflow.sagemaker.jobs) == 1


def test_the_executions_own_job_failing_for_capacity_is_retried_under_a_fresh_name(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, LostAnswer(CAPACITY, THROTTLED), COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    lost, retried, fresh = workflow.job_names
    assert lost == retried != fresh
    assert execution.output[JOB_NAME_FIELD] == fresh and execution.output["capacity_retries"] == 1


def test_the_executions_own_job_failing_fails_the_execution_with_its_reason(workflow: Workflow) -> None:
    execution = workflow.run(TRAINING_INPUT, LostAnswer(ALGORITHM_ERROR, THROTTLED))

    (name,) = set(workflow.job_names)
    assert (execution.status, execution.error) == ("FAILED", "TrainingJobFailed")
    assert execution.cause == f"Training job {name} failed: {ALGORITHM_ERROR.failure_reason}"


def test_the_executions_own_job_is_reported_started_when_not_waited_for(workflow: Workflow) -> None:
    execution = workflow.run({**TRAINING_INPUT, "wait": False}, LostAnswer(COMPLETED, THROTTLED))

    assert execution.status == "SUCCEEDED", execution
    (name,) = set(workflow.job_names)
    assert execution.output == {
        JOB_NAME_FIELD: name,
        "job_arn": workflow.sagemaker.jobs[name]["TrainingJobArn"],
        "status": "InProgress",
        "links": execution.output["links"],
    }


def test_a_request_files_own_job_is_its_outcome_not_a_duplicate(workflow: Workflow) -> None:
    event = request_file_event("requests/gan.json", TRAINING_INPUT)

    execution = workflow.run(event, LostAnswer(COMPLETED, THROTTLED))

    assert (execution.status, execution.output["status"]) == ("SUCCEEDED", "Completed"), execution
    result = result_file("results/gan.json")
    assert (result["status"], result[JOB_NAME_FIELD], result["execution_arn"]) == (
        "Completed",
        execution.output[JOB_NAME_FIELD],
        execution.arn,
    )


def test_a_job_without_the_executions_tag_under_a_chosen_name_is_not_taken_for_its_own(workflow: Workflow) -> None:
    # Created outside the workflow (no execution tag) or by another execution: never followed as one's own.
    chosen = {**TRAINING_INPUT, "job_name": "gan-run-8"}
    workflow.run(chosen)
    workflow.sagemaker.tags.clear()

    execution = workflow.run(chosen)

    assert (execution.status, execution.error) == ("FAILED", "JobNameInUse")


# ---------------------------------------------------------------- request files and other events


def test_a_request_file_trains_and_its_outcome_is_written_to_its_result(workflow: Workflow) -> None:
    event = request_file_event("requests/gan.json", TRAINING_INPUT)

    execution = workflow.run(event, COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    (name,) = workflow.job_names
    assert execution.output[JOB_NAME_FIELD] == name and name.startswith("gan-")
    assert execution.prepared[0]["job_name_origin"] == JobNameOrigin.EVENT.value
    assert result_file("results/gan.json") == {
        "request": f"s3://{DATA_BUCKET}/requests/gan.json",
        "request_version_id": event["detail"]["object"]["version-id"],
        "status": "Completed",
        JOB_NAME_FIELD: name,
        "model_artifacts": execution.output["model_artifacts"],
        "links": execution.output["links"],
        "execution_arn": execution.arn,
    }


def test_an_invalid_request_file_fails_with_its_errors_written_to_its_result(workflow: Workflow) -> None:
    event = request_file_event("requests/bad.json", {"instance_type": "m5.xlarge", "instance_count": 0})

    execution = workflow.run(event)

    assert (execution.status, execution.error) == ("FAILED", "InvalidTrainingInput")
    assert "instance_type" in execution.cause and "instance_count" in execution.cause
    result = result_file("results/bad.json")
    assert result["status"] == "Invalid"
    assert execution.cause.splitlines() == result["errors"]
    assert workflow.requests == []


@pytest.mark.parametrize(
    ("answer", "error", "status", "failure_reason"),
    [
        (ALGORITHM_ERROR, "TrainingJobFailed", "Failed", ALGORITHM_ERROR.failure_reason),
        (MAX_RUNTIME_EXCEEDED, "TrainingJobStopped", "Stopped", "MaxRuntimeExceeded"),
        (
            Refusal("ResourceNotFound", "Could not find subnet subnet-0123abcd"),
            "SageMaker.ResourceNotFoundException",
            "Failed",
            "SageMaker.ResourceNotFoundException: Could not find subnet subnet-0123abcd (Service: AmazonSageMaker;",
        ),
    ],
)
def test_a_request_file_whose_training_fails_has_the_reason_written_to_its_result(
    workflow: Workflow, answer: JobEnd | Refusal, error: str, status: str, failure_reason: str
) -> None:
    execution = workflow.run(request_file_event("requests/gan.json", TRAINING_INPUT), answer)

    assert (execution.status, execution.error) == ("FAILED", error)
    result = result_file("results/gan.json")
    assert result["status"] == status
    assert result["failure_reason"].startswith(failure_reason)


def test_a_request_file_that_cannot_be_read_has_the_reason_written_to_its_result(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    import request_file_store

    def denied(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")

    event = request_file_event("requests/gan.json", TRAINING_INPUT)
    monkeypatch.setattr(request_file_store._S3, "get_object", denied)

    execution = workflow.run(event)

    assert (execution.status, execution.error) == ("FAILED", "ClientError")
    assert execution.entered[-5:] == [
        "PreparationFailure",
        "ReportOutcome",
        "WriteResult",
        "Conclude",
        "PreparationFailed",
    ]
    result = result_file("results/gan.json")
    assert result["status"] == "Failed"
    assert result["failure_reason"] == f"ClientError: {execution.cause}"
    assert "AccessDenied" in execution.cause and workflow.requests == []


def test_a_redelivered_event_ends_as_a_duplicate_of_the_first_job(workflow: Workflow) -> None:
    event = request_file_event("requests/gan.json", TRAINING_INPUT)
    first = workflow.run(event)

    execution = workflow.run(event)

    assert execution.status == "SUCCEEDED", execution
    (name,) = set(workflow.job_names)  # the same name, so SageMaker refused the second job
    assert execution.output == {
        "status": "Duplicate",
        JOB_NAME_FIELD: name,
        "links": first.output["links"],
        "message": f"This event was delivered before: training job {name} was started for it by an earlier execution; "
        "no second job was created.",
    }
    # The first execution's outcome stays the request file's result.
    assert result_file("results/gan.json")["execution_arn"] == first.arn
    # The job in use carries the first execution's tag, not this one's: someone else's job.
    (job_arn,) = workflow.sagemaker.tags
    assert {"Key": EXECUTION_TAG_KEY, "Value": first.arn} in workflow.sagemaker.tags[job_arn]


def test_a_capacity_retry_of_an_event_keeps_a_name_derived_from_the_event(workflow: Workflow) -> None:
    event = request_file_event("requests/gan.json", TRAINING_INPUT)

    execution = workflow.run(event, CAPACITY, COMPLETED)

    assert execution.status == "SUCCEEDED", execution
    first, second = workflow.job_names
    assert first != second and first.startswith("gan-") and second.startswith("gan-")
    # Not a duplicate: the retry's name is new, and so is the job.
    result = result_file("results/gan.json")
    assert (result["status"], result[JOB_NAME_FIELD]) == ("Completed", second)


def test_a_result_file_event_ends_at_once_without_training(workflow: Workflow) -> None:
    # The request rule never sends one (results are under another prefix): an event sent by hand, say.
    execution = workflow.run(request_file_event("results/gan.json", {"status": "Completed"}))

    assert execution.status == "SUCCEEDED", execution
    assert "result file" in execution.output["ignored"]
    assert execution.entered == ["Begin", PREPARE, "Route", "Ignored"]
    assert workflow.requests == []


def test_a_result_that_cannot_be_written_fails_the_execution_naming_the_outcome(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    import request_file_store

    def denied(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject")

    event = request_file_event("requests/gan.json", TRAINING_INPUT)
    monkeypatch.setattr(request_file_store._S3, "put_object", denied)

    execution = workflow.run(event, COMPLETED)

    assert (execution.status, execution.error) == ("FAILED", "ResultNotWritten")
    (name,) = workflow.job_names
    assert execution.cause == (
        f"The outcome (Completed, training job {name}) could not be written to its result "
        "file: ClientError: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"
    )
