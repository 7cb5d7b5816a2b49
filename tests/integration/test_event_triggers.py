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
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from execution_waits import ExecutionsOf, all_job_names, finished_execution, wait_for, wait_while_progressing
from request_files import (
    INTERIM_STATUSES,
    RESULT_PREFIX,
    ResultVersions,
    latest_result,
    object_created_event,
    put_request,
    request_job_name,
    request_key,
    result_key_of,
)

from emulator import ACCOUNT_ID
from emulator.deployment import stack_outputs
from training_events import event_job_name

IMAGE_TAG_PATTERN_EXAMPLE = "train-{}"  # cdk.json: train-*
# A single training's outcome: Prepare, a short job and WriteResult, on a machine other runs share.
OUTCOME_SECONDS = 180.0


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


def upload(emulator: Any, outputs: dict[str, str], name: str, body: object) -> dict[str, Any]:
    return put_request(emulator.client("s3"), outputs["DataBucketName"], name, body)


def final_result(emulator: Any, outputs: dict[str, str], name: str) -> dict[str, Any]:
    def written() -> dict[str, Any] | None:
        result = latest_result(emulator.client("s3"), outputs["DataBucketName"], name)
        return result if result and result["status"] not in INTERIM_STATUSES else None

    return wait_for(written, OUTCOME_SECONDS, interval=0.5)


def s3_key_of(execution_input: Any) -> str | None:
    if not isinstance(execution_input, dict) or execution_input.get("source") != "aws.s3":
        return None
    return execution_input.get("detail", {}).get("object", {}).get("key")


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


def test_a_request_file_trains_once_and_its_result_appears_under_results(
    emulator: Any, outputs: dict[str, str]
) -> None:
    name, bucket = f"team-{run_id()}/gan", outputs["DataBucketName"]
    since = datetime.now(UTC) - timedelta(seconds=5)
    version = upload(emulator, outputs, name, request(outputs, name, job_name="ignored-by-the-event"))["VersionId"]

    result = final_result(emulator, outputs, name)

    expected_job = request_job_name(bucket, request_key(name), version)
    assert result["status"] == "Completed", result
    assert (result["job_name"], result["request_version_id"]) == (expected_job, version)
    assert result["model_artifacts"] == f"s3://{outputs['ArtifactsBucketName']}/{expected_job}/output/model.tar.gz"
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=expected_job)
    assert job["TrainingJobStatus"] == "Completed"
    assert job["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    # The result file is written by the execution's last step, a moment before the execution ends.
    sfn = emulator.client("stepfunctions")
    execution = finished_execution(sfn, result["execution_arn"])
    assert execution["status"] == "SUCCEEDED"
    # At the request's path under results/; the request's folder holds only the request, and writing the
    # result started no execution (S3 starts it while answering the PutObject, before WriteResult ends).
    s3 = emulator.client("s3")
    assert result_key_of(request_key(name)) == f"{RESULT_PREFIX}{name}.json"
    folder = s3.list_objects_v2(Bucket=bucket, Prefix=request_key(name).rsplit("/", 1)[0])["Contents"]
    assert [o["Key"] for o in folder] == [request_key(name)]
    started = ExecutionsOf(sfn, state_machine_arn(outputs), lambda given: name in (s3_key_of(given) or ""), since)
    assert [s3_key_of(started.input_of(arn)) for arn in started.refresh()] == [request_key(name)]


def test_a_re_upload_s_result_is_a_new_version_and_the_first_stays_readable(
    emulator: Any, outputs: dict[str, str]
) -> None:
    name, bucket, s3 = f"again-{run_id()}", outputs["DataBucketName"], emulator.client("s3")
    first = upload(emulator, outputs, name, request(outputs, name))["VersionId"]
    assert final_result(emulator, outputs, name)["request_version_id"] == first
    second = upload(emulator, outputs, name, {"instance_type": "m5.large", "instance_count": 1})["VersionId"]

    def second_answered() -> dict[str, Any] | None:
        result = latest_result(s3, bucket, name)
        return result if result and result["request_version_id"] == second else None

    latest = wait_for(second_answered, OUTCOME_SECONDS, interval=0.5)

    assert latest["status"] == "Invalid"
    results = ResultVersions(s3, bucket, result_key_of(request_key(name)))
    assert results.refresh() == 2
    (answer,) = results.answering(request_key(name), first)
    assert (answer["status"], answer["job_name"]) == ("Completed", request_job_name(bucket, request_key(name), first))


def test_an_invalid_request_file_fails_and_its_errors_appear_in_its_result(
    emulator: Any, outputs: dict[str, str]
) -> None:
    name = f"bad-{run_id()}"
    upload(emulator, outputs, name, {"instance_type": "m5.large", "instance_count": 0})

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


_FILES = 12  # request files, and image pushes


def test_many_events_at_once_give_one_job_per_distinct_event_and_none_twice(
    emulator: Any, outputs: dict[str, str]
) -> None:
    """Request files uploaded at once, half of their events delivered a second time, and as many image pushes each
    delivered twice, all in flight together (the scale of a burst is test_burst's). Each event starts one
    execution, each distinct event one job, and writing the results starts none."""
    run, repository, bucket = run_id(), repository_name(outputs), outputs["DataBucketName"]
    names = [f"many-{run}-{index:02d}" for index in range(_FILES)]
    digests = [new_digest() for _ in range(_FILES)]
    redelivered, distinct = _FILES // 2, 2 * _FILES
    events_sent = _FILES + redelivered + 2 * _FILES
    jobs_before = set(all_job_names(emulator))
    events, s3, sfn = emulator.client("events"), emulator.client("s3"), emulator.client("stepfunctions")
    since = datetime.now(UTC) - timedelta(seconds=5)

    def upload_one(name: str) -> str:
        return upload(emulator, outputs, name, request(outputs, run, wait=False))["VersionId"]

    def redeliver_request(name: str, version_id: str) -> None:
        detail = object_created_event(bucket, request_key(name), version_id)["detail"]
        events.put_events(Entries=[{"Source": "aws.s3", "DetailType": "Object Created", "Detail": json.dumps(detail)}])

    def push(digest: str) -> None:
        events.put_events(Entries=[image_push_entry(repository, IMAGE_TAG_PATTERN_EXAMPLE.format(run), digest)])

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        pushes = [pool.submit(push, digest) for digest in digests * 2]
        versions = dict(zip(names, pool.map(upload_one, names), strict=True))
        redeliveries = [pool.submit(redeliver_request, name, versions[name]) for name in names[:redelivered]]
        for future in pushes + redeliveries:
            future.result()

    expected = {request_job_name(bucket, request_key(name), versions[name]) for name in names}
    expected |= {image_job_name(emulator, repository, digest) for digest in digests}
    assert len(expected) == distinct

    def ours(execution_input: Any) -> bool:
        key = s3_key_of(execution_input)
        if key is not None:
            return f"many-{run}-" in key
        detail = execution_input.get("detail") if isinstance(execution_input, dict) else None
        return isinstance(detail, dict) and detail.get("image-digest") in digests

    executions = ExecutionsOf(sfn, state_machine_arn(outputs), ours, since)
    results = ResultVersions(s3, bucket, f"{RESULT_PREFIX}many-{run}-")

    def settled() -> bool:
        return len(executions.refresh()) >= events_sent and not executions.running()

    def progress() -> tuple[int, int, int]:
        return len(executions.statuses), executions.ended(), results.refresh()

    # Bounded by progress: on a loaded machine the executions take minutes, but never stand still.
    wait_while_progressing(settled, progress, stall_seconds=120, limit_seconds=600)
    results.refresh()  # each result is written before its execution ends
    new_jobs = [name for name in all_job_names(emulator) if name not in jobs_before]
    ended = {arn: sfn.describe_execution(executionArn=arn) for arn in executions.statuses}
    duplicates = [json.loads(e["output"]) for e in ended.values() if '"Duplicate"' in (e.get("output") or "")]
    print(
        f"{events_sent} events, {distinct} jobs, {len(duplicates)} duplicates recognised in "
        f"{time.monotonic() - started:.1f} s"
    )

    keys = Counter(s3_key_of(executions.input_of(arn)) for arn in executions.statuses)
    assert not [key for key in keys if key and key.startswith(RESULT_PREFIX)], keys  # results start nothing
    assert len(executions.statuses) == events_sent
    failed = Counter((e["status"], e.get("error"), (e.get("cause") or "")[:60]) for e in ended.values())
    del failed[("SUCCEEDED", None, "")]
    assert failed == Counter()
    assert sorted(new_jobs) == sorted(expected)  # each distinct event once, nothing else, nothing twice
    assert len(duplicates) == redelivered + _FILES  # the second deliveries
    assert {o["job_name"] for o in duplicates} <= expected
    for name in names:  # each upload's result says its job runs on ("wait": false)
        answers = results.answering(request_key(name), versions[name])
        assert "InProgress" in [a["status"] for a in answers], answers


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
    upload(emulator, outputs, name, request(outputs, name, hyperparameters={"emulator_outcome": "failed"}))
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
