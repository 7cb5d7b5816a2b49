"""Event-triggered training on the deployed platform in the emulator: request files put in the data bucket
(S3 sends its own events), image pushes and schedule firings (sent as the events EventBridge would carry),
result files, duplicate deliveries, many events at once, and the notification of a failed job.

What the emulator cannot do yet is done here the way AWS would, and said where: ECR sends no "ECR Image
Action" events (put_events sends them). A failed job's notification travels the deployed chain: the job's
state change event, the rule, the notifier Lambda, the topic, a queue subscribed to it. The schedule rule is
fired through the deployed rule in test_platform.py's redeploy test (cdk.json deploys no schedule).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from execution_waits import all_job_names, finished_execution, wait_for

from emulator import ACCOUNT_ID
from emulator.deployment import stack_outputs
from training_events import event_job_name

REQUEST_PREFIX = "requests/"  # cdk.json
IMAGE_TAG_PATTERN_EXAMPLE = "train-{}"  # cdk.json: train-*


@pytest.fixture(scope="module")
def outputs(emulator: Any, platform: Any) -> dict[str, str]:
    """The deployed app's outputs."""
    return stack_outputs(emulator.client("cloudformation"))


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
    detail = {
        "result": "SUCCESS",
        "repository-name": repository,
        "image-digest": digest,
        "action-type": "PUSH",
        "image-tag": tag,
    }
    return {"Source": "aws.ecr", "DetailType": "ECR Image Action", "Detail": json.dumps(detail)}


def image_job_name(emulator: Any, repository: str, digest: str) -> str:
    return event_job_name(repository, (ACCOUNT_ID, emulator.region, repository, digest), fallback_hint="image")


def new_digest() -> str:
    return "sha256:" + secrets.token_hex(32)


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
    # The result file is written by the execution's last step, a moment before the execution ends.
    execution = finished_execution(emulator.client("stepfunctions"), result["execution_arn"])
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


# ---------------------------------------------------------------- image pushes (schedules: test_platform.py)


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


# ---------------------------------------------------------------- exactly one job per event


def test_many_events_at_once_give_one_job_per_distinct_event_and_none_twice(
    emulator: Any, outputs: dict[str, str]
) -> None:
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
        detail = {
            "bucket": {"name": outputs["DataBucketName"]},
            "object": {"key": f"{REQUEST_PREFIX}{name}.json", "version-id": version_id},
        }
        events.put_events(Entries=[{"Source": "aws.s3", "DetailType": "Object Created", "Detail": json.dumps(detail)}])

    def push(digest: str) -> None:
        events.put_events(Entries=[image_push_entry(repository, IMAGE_TAG_PATTERN_EXAMPLE.format(run), digest)])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        pushes = [pool.submit(push, digest) for digest in digests * 2]
        versions = dict(zip(names, pool.map(upload, names), strict=True))
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
        executions = [
            e
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn(outputs))
            for e in page["executions"]
        ]
        if any(e["status"] == "RUNNING" for e in executions):
            return None
        outputs_ = [
            json.loads(sfn.describe_execution(executionArn=e["executionArn"]).get("output") or "{}") for e in executions
        ]
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
    sns.subscribe(
        TopicArn=outputs["NotificationTopicArn"],
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "false"},
    )
    name = f"fails-{run_id()}"
    put_request(emulator, outputs, name, request(outputs, name, hyperparameters={"emulator_outcome": "failed"}))
    result = final_result(emulator, outputs, name)
    assert (result["status"], result["failure_reason"].split(":")[0]) == ("Failed", "AlgorithmError")

    # Jobs of earlier tests may end meanwhile and be notified too: read until this job's message.
    received: list[dict[str, Any]] = []

    def this_job_s() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        received.extend(json.loads(m["Body"]) for m in messages)
        return [n for n in received if result["job_name"] in n["Subject"]]

    (notification,) = wait_for(this_job_s, 30)
    assert notification["Subject"] == f"Training job {result['job_name']} failed"
    assert f"Failure reason: {result['failure_reason']}" in notification["Message"]
    assert "Model artifact: none" in notification["Message"]
