"""Event-triggered training on the deployed platform in the emulator: request files put in the data bucket
(S3 sends its own events), image pushes and schedule firings (sent as the events EventBridge would carry),
result files, duplicate deliveries, many events at once, and the notification of a failed job.

What the emulator cannot do yet is done here the way AWS would, and said where: ECR sends no "ECR Image
Action" events (put_events sends them), no schedule fires (the execution is started with the Scheduled Event,
as the rule's target does), and SageMaker emits no job state change events to Lambda targets (the deployed
notifier is invoked with the event the rule would deliver). moto's CloudFormation also drops the data
bucket's versioning, which the `outputs` fixture turns on as the stack declares it.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pytest

from emulator import ACCOUNT_ID
from emulator.deployment import stack_outputs
from execution_waits import finished_execution, wait_for
from training_events import event_job_name

REQUEST_PREFIX = "requests/"  # cdk.json
IMAGE_TAG_PATTERN_EXAMPLE = "train-{}"  # cdk.json: train-*


@pytest.fixture(scope="module")
def outputs(emulator: Any, platform: Any) -> dict[str, str]:
    """The deployed app's outputs; deployed again if an earlier test module destroyed it."""
    cloudformation = emulator.client("cloudformation")
    if not any(s["StackName"].endswith("-training") for s in cloudformation.describe_stacks()["Stacks"]):
        platform.cdk.deploy()
    deployed = stack_outputs(cloudformation)
    # The stack declares the data bucket versioned; moto's CloudFormation drops VersioningConfiguration.
    emulator.client("s3").put_bucket_versioning(
        Bucket=deployed["DataBucketName"], VersioningConfiguration={"Status": "Enabled"}
    )
    return deployed


def run_id() -> str:
    return uuid.uuid4().hex[:10]


def state_machine_arn(outputs: dict[str, str]) -> str:
    return next(v for k, v in outputs.items() if k.endswith("StateMachineArn"))


def repository_name(outputs: dict[str, str]) -> str:
    return outputs["RepositoryUri"].split("/", 1)[1]


def request(outputs: dict[str, str], run: str, **overrides: Any) -> dict[str, Any]:
    return {
        "instance_type": "ml.m5.large",
        "instance_count": 1,
        "inputs": {"train": f"s3://{outputs['DataBucketName']}/gan/train/"},
        "hyperparameters": {"run": run, **overrides.pop("hyperparameters", {})},
        **overrides,
    }


def put_request(emulator: Any, outputs: dict[str, str], name: str, body: object) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return emulator.client("s3").put_object(
        Bucket=outputs["DataBucketName"], Key=f"{REQUEST_PREFIX}{name}.json", Body=text.encode()
    )


def request_job_name(outputs: dict[str, str], name: str, version_id: str) -> str:
    key = f"{REQUEST_PREFIX}{name}.json"
    return event_job_name(name, (outputs["DataBucketName"], key, version_id), fallback_hint="request")


def result_file(emulator: Any, outputs: dict[str, str], name: str) -> dict[str, Any] | None:
    s3 = emulator.client("s3")
    try:
        body = s3.get_object(Bucket=outputs["DataBucketName"], Key=f"{REQUEST_PREFIX}{name}.result.json")["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body.read())


def final_result(emulator: Any, outputs: dict[str, str], name: str, timeout: float = 90) -> dict[str, Any]:
    def written() -> dict[str, Any] | None:
        result = result_file(emulator, outputs, name)
        return result if result and result["status"] not in ("Duplicate", "InProgress") else None

    return wait_for(written, timeout, interval=0.5)


def image_push_entry(repository: str, tag: str, digest: str) -> dict[str, str]:
    detail = {"result": "SUCCESS", "repository-name": repository, "image-digest": digest, "action-type": "PUSH", "image-tag": tag}
    return {"Source": "aws.ecr", "DetailType": "ECR Image Action", "Detail": json.dumps(detail)}


def image_job_name(emulator: Any, repository: str, digest: str) -> str:
    return event_job_name(repository, (ACCOUNT_ID, emulator.region, repository, digest), fallback_hint="image")


def new_digest() -> str:
    return "sha256:" + secrets.token_hex(32)


def all_job_names(emulator: Any) -> list[str]:
    pages = emulator.client("sagemaker").get_paginator("list_training_jobs").paginate(PaginationConfig={"PageSize": 100})
    return [job["TrainingJobName"] for page in pages for job in page["TrainingJobSummaries"]]


def describe_job(emulator: Any, name: str) -> dict[str, Any] | None:
    sagemaker = emulator.client("sagemaker")
    try:
        return sagemaker.describe_training_job(TrainingJobName=name)
    except sagemaker.exceptions.ClientError:
        return None


# ---------------------------------------------------------------- request files


def test_a_request_file_trains_once_and_its_result_appears_beside_it(emulator: Any, outputs: dict[str, str]) -> None:
    name = f"gan-{run_id()}"
    version = put_request(emulator, outputs, name, request(outputs, name, job_name="ignored-by-the-event"))["VersionId"]

    result = final_result(emulator, outputs, name)

    expected_job = request_job_name(outputs, name, version)
    assert result["status"] == "Completed", result
    assert (result["job_name"], result["request_version"]) == (expected_job, version)
    assert result["model_artifacts"] == f"s3://{outputs['ArtifactsBucketName']}/{expected_job}/output/model.tar.gz"
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=expected_job)
    assert job["TrainingJobStatus"] == "Completed"
    assert job["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    execution = emulator.client("stepfunctions").describe_execution(executionArn=result["execution_arn"])
    assert execution["status"] == "SUCCEEDED"


def test_an_invalid_request_file_fails_and_its_errors_appear_beside_it(emulator: Any, outputs: dict[str, str]) -> None:
    name = f"bad-{run_id()}"
    put_request(emulator, outputs, name, {"instance_type": "m5.large", "instance_count": 0})

    result = final_result(emulator, outputs, name)

    assert result["status"] == "Invalid"
    assert [error.split(":")[0] for error in result["errors"]] == ["instance_type", "instance_count"]
    execution = finished_execution(emulator.client("stepfunctions"), result["execution_arn"])
    assert (execution["status"], execution["error"]) == ("FAILED", "InvalidTrainingInput")
    assert execution["cause"].splitlines() == result["errors"]
    assert "job_name" not in result


# ---------------------------------------------------------------- image pushes and schedules


def test_a_pushed_image_with_a_matching_tag_is_trained_by_digest(emulator: Any, outputs: dict[str, str]) -> None:
    repository, run = repository_name(outputs), run_id()
    matching, other = new_digest(), new_digest()
    events = emulator.client("events")
    events.put_events(Entries=[image_push_entry(repository, f"dev-{run}", other)])
    events.put_events(Entries=[image_push_entry(repository, IMAGE_TAG_PATTERN_EXAMPLE.format(run), matching)])

    job = wait_for(lambda: describe_job(emulator, image_job_name(emulator, repository, matching)), 60)

    assert job["AlgorithmSpecification"]["TrainingImage"] == f"{outputs['RepositoryUri']}@{matching}"
    assert job["ResourceConfig"]["InstanceType"] == "ml.m5.large"  # cdk.json's image_push_request
    # The push of a tag outside the pattern (sent first) started nothing.
    assert describe_job(emulator, image_job_name(emulator, repository, other)) is None


@pytest.fixture()
def scheduled_request_configured(emulator: Any, outputs: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The Prepare Lambda's environment as a stack with a schedule deploys it (cdk.json has none)."""
    lambdas = emulator.client("lambda")
    prepare = next(
        f for page in lambdas.get_paginator("list_functions").paginate() for f in page["Functions"]
        if f["Handler"] == "prepare_training.handler"
    )
    variables = prepare["Environment"]["Variables"]
    scheduled = request(outputs, run_id())
    lambdas.update_function_configuration(
        FunctionName=prepare["FunctionName"],
        Environment={"Variables": {**variables, "SCHEDULED_REQUEST": json.dumps(scheduled)}},
    )
    try:
        yield scheduled
    finally:
        lambdas.update_function_configuration(FunctionName=prepare["FunctionName"], Environment={"Variables": variables})


def test_a_schedule_firing_trains_the_scheduled_request_once(
    emulator: Any, outputs: dict[str, str], scheduled_request_configured: dict[str, Any]
) -> None:
    rule_arn = f"arn:aws:events:{emulator.region}:{ACCOUNT_ID}:rule/mltrain-dev-nightly"
    firing = {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": ACCOUNT_ID, "time": datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), "region": emulator.region,
        "resources": [rule_arn], "detail": {},
    }
    sfn = emulator.client("stepfunctions")

    execution = finished_execution(
        sfn, sfn.start_execution(stateMachineArn=state_machine_arn(outputs), input=json.dumps(firing))["executionArn"]
    )

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert output["job_name"] == event_job_name("mltrain-dev-nightly", (rule_arn, firing["time"]), fallback_hint="scheduled")
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=output["job_name"])
    assert job["HyperParameters"]["run"] == scheduled_request_configured["hyperparameters"]["run"]


# ---------------------------------------------------------------- exactly one job per event


def test_many_events_at_once_give_one_job_per_distinct_event_and_none_twice(emulator: Any, outputs: dict[str, str]) -> None:
    """20 request files uploaded at once, 10 of their events delivered a second time, and 20 image pushes each
    delivered twice: 70 events, 40 distinct, all in flight together."""
    run, repository = run_id(), repository_name(outputs)
    names = [f"many-{run}-{index:02d}" for index in range(20)]
    digests = [new_digest() for _ in range(20)]
    jobs_before = set(all_job_names(emulator))
    events = emulator.client("events")

    def upload(name: str) -> str:
        return put_request(emulator, outputs, name, request(outputs, run, wait=False))["VersionId"]

    def redeliver_request(name: str, version_id: str) -> None:
        detail = {"bucket": {"name": outputs["DataBucketName"]},
                  "object": {"key": f"{REQUEST_PREFIX}{name}.json", "version-id": version_id}}
        events.put_events(Entries=[{"Source": "aws.s3", "DetailType": "Object Created", "Detail": json.dumps(detail)}])

    def push(digest: str) -> None:
        events.put_events(Entries=[image_push_entry(repository, IMAGE_TAG_PATTERN_EXAMPLE.format(run), digest)])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        pushes = [pool.submit(push, digest) for digest in digests * 2]
        versions = dict(zip(names, pool.map(upload, names)))
        redeliveries = [pool.submit(redeliver_request, name, versions[name]) for name in names[:10]]
        for future in pushes + redeliveries:
            future.result()

    expected = {request_job_name(outputs, name, versions[name]) for name in names}
    expected |= {image_job_name(emulator, repository, digest) for digest in digests}
    assert len(expected) == 40

    def all_results_written() -> bool:
        return all((result_file(emulator, outputs, name) or {}).get("status") == "InProgress" for name in names)

    wait_for(lambda: expected <= set(all_job_names(emulator)) and all_results_written(), 120, interval=1)
    # Let the redeliveries reach their end (each meets its first delivery's job) before counting.
    sfn = emulator.client("stepfunctions")

    def duplicates() -> list[dict[str, Any]] | None:
        executions = [e for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn(outputs))
                      for e in page["executions"]]
        if any(e["status"] == "RUNNING" for e in executions):
            return None
        outputs_ = [json.loads(sfn.describe_execution(executionArn=e["executionArn"]).get("output") or "{}") for e in executions]
        return [o for o in outputs_ if o.get("status") == "Duplicate" and o.get("job_name") in expected]

    duplicate_outputs = wait_for(duplicates, 180, interval=2)
    new_jobs = [name for name in all_job_names(emulator) if name not in jobs_before]
    print(f"70 events, 40 jobs, {len(duplicate_outputs)} duplicates recognised in {time.monotonic() - started:.1f} s")

    assert sorted(new_jobs) == sorted(expected)  # each distinct event once, nothing else, nothing twice
    assert len(duplicate_outputs) == 30
    assert {o["job_name"] for o in duplicate_outputs} <= expected


# ---------------------------------------------------------------- notifications


def test_a_failed_job_is_notified_on_the_topic(emulator: Any, outputs: dict[str, str]) -> None:
    sns, sqs = emulator.client("sns"), emulator.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"inbox-{run_id()}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=outputs["NotificationTopicArn"], Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "false"})
    name = f"fails-{run_id()}"
    put_request(emulator, outputs, name, request(outputs, name, hyperparameters={"emulator_outcome": "failed"}))
    result = final_result(emulator, outputs, name)
    assert (result["status"], result["failure_reason"].split(":")[0]) == ("Failed", "AlgorithmError")
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=result["job_name"])

    # What the JobStateRule delivers to the notifier (the emulator's SageMaker emits no such event).
    state_change = {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "SageMaker Training Job State Change",
        "source": "aws.sagemaker", "account": ACCOUNT_ID, "region": emulator.region,
        "time": datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), "resources": [job["TrainingJobArn"]],
        "detail": json.loads(json.dumps(job, default=lambda t: int(t.timestamp() * 1000))),
    }
    notifier = next(
        f["FunctionName"] for page in emulator.client("lambda").get_paginator("list_functions").paginate()
        for f in page["Functions"] if f["Handler"] == "job_notification.handler"
    )
    invoked = emulator.client("lambda").invoke(FunctionName=notifier, Payload=json.dumps(state_change).encode())
    assert "FunctionError" not in invoked, invoked["Payload"].read()

    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"), 20)
    (notification,) = [json.loads(m["Body"]) for m in messages]
    assert notification["Subject"] == f"Training job {result['job_name']} failed"
    assert f"Failure reason: {result['failure_reason']}" in notification["Message"]
    assert "Model artifact: none" in notification["Message"]
