"""Every event shape the workflow accepts, and the job names derived from them."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

from training_events import (
    IgnoredEvent,
    InvalidRequestFile,
    MalformedEvent,
    TriggerConfig,
    TriggerKind,
    event_job_name,
    recognise_event,
    wildcard_match,
)

# The service's own rule for job names, from botocore's model of CreateTrainingJob.
_NAME_SHAPE = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateTrainingJob")
    .input_shape.members["TrainingJobName"]
)
_NAME_RULE = re.compile(_NAME_SHAPE.metadata["pattern"])


def assert_valid_job_name(name: str) -> None:
    assert _NAME_SHAPE.metadata["min"] <= len(name) <= _NAME_SHAPE.metadata["max"], name
    assert _NAME_RULE.fullmatch(name), name


# Shapes as EventBridge delivers them (from the S3, ECR and EventBridge user guides), shared with other tests.
EVENTS = Path(__file__).resolve().parents[1] / "events"
S3_OBJECT_CREATED = json.loads((EVENTS / "s3-object-created.json").read_text())
ECR_IMAGE_ACTION = json.loads((EVENTS / "ecr-image-action.json").read_text())
SCHEDULED_EVENT = json.loads((EVENTS / "scheduled-event.json").read_text())
CONFIG = TriggerConfig(
    request_prefix="requests/",
    result_prefix="results/",
    image_tag_pattern="release-*",
    image_push_request={"instance_type": "ml.m5.xlarge", "inputs": "s3://mltrain-data/train/"},
    scheduled_request={"instance_type": "ml.g5.xlarge", "inputs": {"train": "s3://mltrain-data/nightly/"}},
)


def changed(event: dict, **detail_changes: object) -> dict:
    """A deep copy with `detail` fields replaced; `object__key` reaches into nested objects."""
    result = copy.deepcopy(event)
    for path, value in detail_changes.items():
        target = result["detail"]
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is None:
            target.pop(leaf.replace("_", "-"), None)
        else:
            target[leaf.replace("_", "-")] = value
    return result


# --- S3 request files ---------------------------------------------------------------------------


def test_request_file_names_the_object_to_read() -> None:
    trigger = recognise_event(S3_OBJECT_CREATED, CONFIG)

    assert trigger.kind is TriggerKind.REQUEST_FILE
    assert trigger.request_file is not None
    assert trigger.request_file.uri == "s3://mltrain-data/requests/gan-run.json"
    assert trigger.request_file.version_id == "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"
    assert (
        trigger.source
        == "request file s3://mltrain-data/requests/gan-run.json (version IYV3p45BT0ac8hjHg1houSdS1a.Mro8e)"
    )
    assert trigger.job_name is not None and trigger.job_name.startswith("gan-run-")
    assert_valid_job_name(trigger.job_name)


def test_request_file_content_becomes_the_input_named_after_the_event() -> None:
    trigger = recognise_event(S3_OBJECT_CREATED, CONFIG)
    body = json.dumps({"instance_type": "ml.m5.large", "hyperparameters": {"epochs": 3}}).encode()

    assert trigger.training_input(body) == {
        "instance_type": "ml.m5.large",
        "hyperparameters": {"epochs": 3},
        "job_name": trigger.job_name,
    }


def test_a_job_name_in_the_request_file_is_replaced_by_the_event_name() -> None:
    trigger = recognise_event(S3_OBJECT_CREATED, CONFIG)

    assert trigger.training_input(b'{"job_name": "mine"}') == {"job_name": trigger.job_name}


def test_the_same_request_event_delivered_twice_gets_the_same_name() -> None:
    redelivered = copy.deepcopy(S3_OBJECT_CREATED)
    redelivered["id"] = "another-delivery-id"
    redelivered["time"] = "2024-11-12T00:05:00Z"

    assert recognise_event(redelivered, CONFIG).job_name == recognise_event(S3_OBJECT_CREATED, CONFIG).job_name


@pytest.mark.parametrize(
    "change",
    [
        {"object__version_id": "a-new-version"},
        {"object__key": "requests/gan-run-2.json"},
        {"bucket__name": "other-bucket"},
    ],
    ids=["new version", "other key", "other bucket"],
)
def test_a_different_request_file_or_version_gets_a_new_name(change: dict) -> None:
    other = recognise_event(changed(S3_OBJECT_CREATED, **change), CONFIG)

    assert other.job_name != recognise_event(S3_OBJECT_CREATED, CONFIG).job_name


def test_without_versioning_the_etag_tells_uploads_apart() -> None:
    unversioned = changed(S3_OBJECT_CREATED, object__version_id=None)
    reuploaded = changed(unversioned, object__etag="0f343b0931126a20f133d67c2b018a3b")

    first = recognise_event(unversioned, CONFIG)
    assert first.source.endswith("(ETag b1946ac92492d2347c6235b4d2611184)")
    assert first.request_file is not None and first.request_file.version_id is None
    assert recognise_event(copy.deepcopy(unversioned), CONFIG).job_name == first.job_name
    assert recognise_event(reuploaded, CONFIG).job_name != first.job_name


def test_request_file_under_a_sub_folder_keeps_the_folder_in_the_name() -> None:
    trigger = recognise_event(changed(S3_OBJECT_CREATED, object__key="requests/team a/GAN v2.json"), CONFIG)

    assert trigger.job_name is not None and trigger.job_name.startswith("team-a-GAN-v2-")


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("results/gan-run.json", "is a result file written by the platform (results/*)"),
        ("results/team/gan-run.json", "is a result file written by the platform (results/*)"),
        ("data/train/part-0001.json", "is not a request file (requests/*.json)"),
        ("requests/notes.txt", "is not a request file (requests/*.json)"),
    ],
)
def test_objects_that_are_not_requests_are_ignored_with_a_reason(key: str, reason: str) -> None:
    with pytest.raises(IgnoredEvent, match=re.escape(reason)):
        recognise_event(changed(S3_OBJECT_CREATED, object__key=key), CONFIG)


def test_a_key_under_the_result_prefix_is_never_a_request_even_under_the_request_prefix() -> None:
    # The settings forbid prefixes that contain one another; a Lambda environment edited by hand may not.
    nested = TriggerConfig(request_prefix="requests/", result_prefix="requests/results/")

    with pytest.raises(IgnoredEvent, match="is a result file"):
        recognise_event(changed(S3_OBJECT_CREATED, object__key="requests/results/gan-run.json"), nested)
    assert recognise_event(S3_OBJECT_CREATED, nested).kind is TriggerKind.REQUEST_FILE


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"object__version_id": None, "object__etag": None}, "neither object.version-id nor object.etag"),
        ({"bucket": {}}, "event has no bucket.name"),
        ({"object__key": ""}, "object.key is not a non-empty string"),
    ],
)
def test_request_events_missing_what_identifies_them_are_malformed(change: dict, message: str) -> None:
    with pytest.raises(MalformedEvent, match=re.escape(message)):
        recognise_event(changed(S3_OBJECT_CREATED, **change), CONFIG)


def test_request_file_that_is_not_json_says_where_it_breaks() -> None:
    trigger = recognise_event(S3_OBJECT_CREATED, CONFIG)

    with pytest.raises(InvalidRequestFile) as error:
        trigger.training_input(b'{\n  "instance_type": "ml.m5.large",\n}')
    assert str(error.value) == (
        "request file s3://mltrain-data/requests/gan-run.json (version IYV3p45BT0ac8hjHg1houSdS1a.Mro8e): "
        "not a JSON document: Expecting property name enclosed in double quotes at line 3 column 1"
    )
    with pytest.raises(InvalidRequestFile, match=r"not UTF-8 text \(byte 0\)"):
        trigger.training_input(b"\xff\xfe{}")


def test_request_file_that_is_json_but_not_an_object_goes_to_the_builder_unchanged() -> None:
    # The request builder reports "not an object" with the rest of its validation.
    assert recognise_event(S3_OBJECT_CREATED, CONFIG).training_input(b"[1, 2]") == [1, 2]


def test_request_file_trigger_needs_the_content() -> None:
    with pytest.raises(ValueError, match="needs the file's content"):
        recognise_event(S3_OBJECT_CREATED, CONFIG).training_input()


# --- ECR image pushes ---------------------------------------------------------------------------


def test_image_push_trains_the_default_request_with_the_pushed_image_by_digest() -> None:
    trigger = recognise_event(ECR_IMAGE_ACTION, CONFIG)

    assert trigger.kind is TriggerKind.IMAGE_PUSH
    assert trigger.request_file is None
    assert trigger.training_input() == {
        "instance_type": "ml.m5.xlarge",
        "inputs": "s3://mltrain-data/train/",
        "image_uri": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mltrain-training"
        "@sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678",
        "job_name": trigger.job_name,
    }
    assert trigger.source == (
        "image push mltrain-training:release-1.4 (sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678)"
    )
    assert trigger.job_name is not None and trigger.job_name.startswith("mltrain-training-")
    assert_valid_job_name(trigger.job_name)


def test_the_pushed_image_replaces_an_image_in_the_default_request() -> None:
    config = TriggerConfig(image_push_request={"image_uri": "somewhere/else:latest"})

    trigger = recognise_event(ECR_IMAGE_ACTION, config)
    assert isinstance(trigger.execution_input, dict)
    assert trigger.execution_input["image_uri"].endswith(
        "/mltrain-training@" + ECR_IMAGE_ACTION["detail"]["image-digest"]
    )


def test_the_same_image_pushed_under_two_tags_trains_once() -> None:
    other_tag = changed(ECR_IMAGE_ACTION, image_tag="release-latest")

    assert recognise_event(other_tag, CONFIG).job_name == recognise_event(ECR_IMAGE_ACTION, CONFIG).job_name


def test_a_new_image_gets_a_new_name() -> None:
    new_digest = changed(ECR_IMAGE_ACTION, image_digest="sha256:" + "0" * 64)

    assert recognise_event(new_digest, CONFIG).job_name != recognise_event(ECR_IMAGE_ACTION, CONFIG).job_name


def test_image_in_a_china_region_uses_that_partitions_registry_domain() -> None:
    event = copy.deepcopy(ECR_IMAGE_ACTION)
    event["region"] = "cn-north-1"

    execution_input = recognise_event(event, CONFIG).execution_input
    assert isinstance(execution_input, dict)
    assert execution_input["image_uri"].startswith("111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn/mltrain-training@")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"image_tag": "dev-7"}, "image tag 'dev-7' of mltrain-training does not match 'release-*'"),
        ({"image_tag": None}, "image tag None of mltrain-training does not match 'release-*'"),
        ({"action_type": "DELETE"}, "ECR DELETE of mltrain-training with result SUCCESS is not a successful push"),
        ({"result": "FAILURE"}, "ECR PUSH of mltrain-training with result FAILURE is not a successful push"),
    ],
)
def test_pushes_that_must_not_train_are_ignored_with_a_reason(change: dict, reason: str) -> None:
    with pytest.raises(IgnoredEvent) as ignored:
        recognise_event(changed(ECR_IMAGE_ACTION, **change), CONFIG)
    assert ignored.value.reason == reason


def test_push_without_a_digest_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="image-digest"):
        recognise_event(changed(ECR_IMAGE_ACTION, image_digest=None), CONFIG)


# --- Schedules ----------------------------------------------------------------------------------


def test_schedule_trains_the_scheduled_request_named_after_rule_and_time() -> None:
    trigger = recognise_event(SCHEDULED_EVENT, CONFIG)

    assert trigger.kind is TriggerKind.SCHEDULE
    assert trigger.source == "schedule mltrain-nightly-training at 2024-10-08T16:53:06Z"
    assert trigger.training_input() == {**CONFIG.scheduled_request, "job_name": trigger.job_name}
    assert trigger.job_name is not None and trigger.job_name.startswith("mltrain-nightly-training-")
    assert_valid_job_name(trigger.job_name)


def test_the_same_tick_delivered_twice_trains_once_and_the_next_tick_again() -> None:
    redelivered = copy.deepcopy(SCHEDULED_EVENT)
    redelivered["id"] = "second-delivery"
    next_tick = copy.deepcopy(SCHEDULED_EVENT)
    next_tick["time"] = "2024-10-09T16:53:06Z"

    first = recognise_event(SCHEDULED_EVENT, CONFIG).job_name
    assert recognise_event(redelivered, CONFIG).job_name == first
    assert recognise_event(next_tick, CONFIG).job_name != first


def test_schedule_input_is_a_copy_of_the_configured_request() -> None:
    trigger = recognise_event(SCHEDULED_EVENT, CONFIG)
    assert isinstance(trigger.execution_input, dict)
    trigger.execution_input["instance_type"] = "changed"

    assert CONFIG.scheduled_request == {
        "instance_type": "ml.g5.xlarge",
        "inputs": {"train": "s3://mltrain-data/nightly/"},
    }


def test_schedule_without_a_configured_request_is_ignored() -> None:
    with pytest.raises(IgnoredEvent, match="no scheduled request is configured"):
        recognise_event(SCHEDULED_EVENT, TriggerConfig())


def test_schedule_without_its_rule_is_malformed() -> None:
    event = copy.deepcopy(SCHEDULED_EVENT)
    event["resources"] = []
    with pytest.raises(MalformedEvent, match="rule ARN"):
        recognise_event(event, CONFIG)


# --- Console input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "console_input",
    [
        {"instance_type": "ml.m5.large", "job_name": "my-job"},
        {},
        # Looks like an event but has no detail object: a console input the builder will reject.
        {"source": "aws.s3", "detail-type": "Object Created"},
        {"source": "aws.sagemaker", "detail-type": "Object Created", "detail": {}},
        [1, 2],
        "not an object",
        None,
    ],
)
def test_anything_else_is_a_console_input_passed_on_unchanged(console_input: object) -> None:
    trigger = recognise_event(console_input, CONFIG)

    assert trigger.kind is TriggerKind.CONSOLE
    assert trigger.job_name is None
    assert trigger.source == "console input"
    assert trigger.training_input() == console_input


# --- Configuration ------------------------------------------------------------------------------


def test_config_from_the_lambda_environment() -> None:
    config = TriggerConfig.from_environment(
        {
            "REQUEST_PREFIX": "incoming/",
            "RESULT_PREFIX": "outcomes/",
            "IMAGE_TAG_PATTERN": "v*",
            "IMAGE_PUSH_REQUEST": '{"instance_type": "ml.m5.large"}',
            "SCHEDULED_REQUEST": "",
        }
    )

    assert config == TriggerConfig(
        request_prefix="incoming/",
        result_prefix="outcomes/",
        image_tag_pattern="v*",
        image_push_request={"instance_type": "ml.m5.large"},
        scheduled_request=None,
    )
    assert TriggerConfig.from_environment({}) == TriggerConfig()


def test_config_rejects_a_request_that_is_not_an_object() -> None:
    with pytest.raises(ValueError, match="SCHEDULED_REQUEST must hold a JSON object"):
        TriggerConfig.from_environment({"SCHEDULED_REQUEST": "[]"})


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("*", "anything", True),
        ("*", "", True),
        ("release-*", "release-1.4", True),
        ("release-*", "release-", True),
        ("release-*", "prerelease-1", False),
        ("v*.*", "v1.2", True),
        ("v*.*", "v12", False),
        ("latest", "latest", True),
        ("latest", "latest-2", False),
        # Only `*` is special, as in EventBridge: `?`, `[` and `.` match themselves.
        ("v?", "v1", False),
        ("v?", "v?", True),
        ("[ab]", "a", False),
    ],
)
def test_tag_patterns_follow_eventbridge_wildcards(pattern: str, value: str, matches: bool) -> None:
    assert wildcard_match(pattern, value) is matches


# --- Job names ----------------------------------------------------------------------------------


def test_long_hints_are_cut_so_the_name_fits() -> None:
    name = event_job_name("x" * 200, ("id",), fallback_hint="request")

    assert_valid_job_name(name)
    assert name.startswith("x" * 50 + "-")


@pytest.mark.parametrize("hint", ["", "---", "///", "é"])
def test_hints_without_usable_characters_fall_back(hint: str) -> None:
    assert re.fullmatch(r"request-[0-9a-f]{12}", event_job_name(hint, ("id",), fallback_hint="request"))


def test_identity_parts_are_not_run_together() -> None:
    assert event_job_name("h", ("a", "bc"), fallback_hint="f") != event_job_name("h", ("ab", "c"), fallback_hint="f")


@given(hint=st.text(max_size=300), identity=st.lists(st.text(max_size=50), max_size=4).map(tuple))
def test_every_name_is_a_valid_sagemaker_job_name(hint: str, identity: tuple[str, ...]) -> None:
    assert_valid_job_name(event_job_name(hint, identity, fallback_hint="request"))


@given(
    key=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=1000),
    revision=st.text(min_size=1, max_size=64),
)
def test_any_request_key_gives_a_valid_stable_name(key: str, revision: str) -> None:
    event = changed(S3_OBJECT_CREATED, object__key=f"requests/{key}.json", object__version_id=revision)

    first = recognise_event(event, CONFIG)
    assert first.job_name is not None
    assert_valid_job_name(first.job_name)
    assert recognise_event(copy.deepcopy(event), CONFIG).job_name == first.job_name
