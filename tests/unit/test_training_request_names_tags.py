"""The deliberate differences from the SDK: the CER tag, generated job names, defaults from the stack, spot checkpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from platform_contract import EXECUTION_TAG_KEY
from training_request import InvalidTrainingInput, PlatformDefaults, build_training_job
from training_request.job_name import JOB_NAME_PATTERN, base_name_from_image, name_from_base

NOW = datetime(2024, 5, 6, 7, 8, 9, 5000, tzinfo=UTC)
BASE = {
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:latest",
    "role": "arn:aws:iam::123456789012:role/r",
    "instance_count": 1,
    "instance_type": "ml.g4dn.xlarge",
    "output_path": "s3://artifacts/out",
}
STACK = PlatformDefaults(
    role_arn="arn:aws:iam::123456789012:role/platform-sagemaker",
    image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform-training:latest",
    output_path="s3://platform-artifacts/jobs",
    checkpoint_s3_uri="s3://platform-checkpoints/checkpoints/",
)


def build(data: dict, defaults: PlatformDefaults = PlatformDefaults(), now: datetime = NOW) -> dict:
    return build_training_job(data, region="eu-west-1", defaults=defaults, now=now).request


def test_cer_tag_is_appended_after_user_tags() -> None:
    assert build({**BASE, "tags": [{"Key": "team", "Value": "vision"}]})["Tags"] == [
        {"Key": "team", "Value": "vision"},
        {"Key": "CER", "Value": "1"},
    ]
    assert build(BASE)["Tags"] == [{"Key": "CER", "Value": "1"}]


def test_tags_mapping_becomes_a_list_of_str_values() -> None:
    assert build({**BASE, "tags": {"team": "vision", "cost-centre": 42}})["Tags"] == [
        {"Key": "team", "Value": "vision"},
        {"Key": "cost-centre", "Value": "42"},
        {"Key": "CER", "Value": "1"},
    ]


@pytest.mark.parametrize(
    "tags", [[{"Key": "CER", "Value": "1"}, {"Key": "a", "Value": "b"}], {"CER": 1, "a": "b"}, {"CER": "1", "a": "b"}]
)
def test_cer_tag_given_by_the_user_is_kept_once(tags: object) -> None:
    result = build({**BASE, "tags": tags})["Tags"]
    assert [tag["Key"] for tag in result] == ["CER", "a"] and result[0]["Value"] == "1"


@pytest.mark.parametrize(
    ("tags", "field"), [([{"Key": "CER", "Value": "0"}], "tags[0].Value"), ({"CER": "yes"}, "tags.CER")]
)
def test_cer_tag_with_another_value_is_an_error(tags: object, field: str) -> None:
    with pytest.raises(InvalidTrainingInput) as caught:
        build({**BASE, "tags": tags})
    assert [(problem.field, "'1'" in problem.rule) for problem in caught.value.problems] == [(field, True)]


def test_a_wrong_cer_tag_is_named_where_the_user_wrote_it_after_a_bad_tag() -> None:
    with pytest.raises(InvalidTrainingInput) as caught:
        build({**BASE, "tags": [{"Key": "team"}, {"Key": "CER", "Value": "2"}]})
    assert [problem.field for problem in caught.value.problems] == ["tags[0].Value", "tags[1].Value"]


def test_tags_leave_room_for_the_tag_the_workflow_adds() -> None:
    # SageMaker takes 50 tags; the workflow adds the execution tag to the cost tag and the user's tags.
    assert len(build({**BASE, "tags": {f"t{i}": "v" for i in range(48)}})["Tags"]) == 49
    with pytest.raises(InvalidTrainingInput) as caught:
        build({**BASE, "tags": {f"t{i}": "v" for i in range(49)}})
    ((field, rule),) = [(problem.field, problem.rule) for problem in caught.value.problems]
    assert field == "tags" and "at most 49 tags" in rule and EXECUTION_TAG_KEY in rule


def test_the_workflows_execution_tag_is_not_the_users_to_give() -> None:
    with pytest.raises(InvalidTrainingInput) as caught:
        build({**BASE, "tags": {EXECUTION_TAG_KEY: "arn:aws:states:eu-west-1:123456789012:execution:x:y"}})
    assert [problem.field for problem in caught.value.problems] == ["tags"]


def test_generated_name_has_the_sdk_form() -> None:
    assert build(BASE)["TrainingJobName"] == "gan-2024-05-06-07-08-09-005"
    assert build({**BASE, "base_job_name": "nightly-gan"})["TrainingJobName"] == "nightly-gan-2024-05-06-07-08-09-005"


def test_generated_names_differ_per_moment() -> None:
    first = build(BASE)["TrainingJobName"]
    assert build(BASE, now=NOW + timedelta(milliseconds=1))["TrainingJobName"] != first


def test_image_by_digest_gives_the_repository_name() -> None:
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/gan-trainer@sha256:" + "a" * 64
    name = build({**BASE, "image_uri": image})["TrainingJobName"]
    assert name == "gan-trainer-2024-05-06-07-08-09-005" and JOB_NAME_PATTERN.match(name)


@pytest.mark.parametrize(
    ("image", "base"),
    [
        ("repo", "repo"),
        ("repo:1.0", "repo"),
        ("registry:5000/ns/my_repo.v2:tag", "my-repo-v2"),
        ("r/__x", "x"),
        ("r/___", "training-job"),
        ("host/ns/name@sha256:abc", "name"),
    ],
)
def test_base_name_from_image_is_always_valid(image: str, base: str) -> None:
    assert base_name_from_image(image) == base


def test_long_base_is_trimmed_to_63_characters() -> None:
    name = name_from_base("x" * 80, NOW)
    assert len(name) == 63 and name.endswith("-2024-05-06-07-08-09-005") and JOB_NAME_PATTERN.match(name)


def test_omitted_role_image_output_path_come_from_the_stack() -> None:
    request = build({"instance_count": 1, "instance_type": "ml.m5.large"}, STACK)
    assert request["RoleArn"] == STACK.role_arn
    assert request["AlgorithmSpecification"]["TrainingImage"] == STACK.image_uri
    assert request["OutputDataConfig"]["S3OutputPath"] == STACK.output_path
    assert request["TrainingJobName"].startswith("platform-training-")


def test_spot_without_checkpoint_uri_gets_one_per_job_in_the_checkpoints_bucket() -> None:
    request = build(
        {**BASE, "use_spot_instances": True, "max_wait": 90000, "checkpoint_local_path": "/opt/ml/checkpoints"}, STACK
    )
    assert request["CheckpointConfig"] == {
        "S3Uri": f"s3://platform-checkpoints/checkpoints/{request['TrainingJobName']}",
        "LocalPath": "/opt/ml/checkpoints",
    }


def test_spot_without_any_checkpoint_default_uses_the_output_path() -> None:
    request = build({**BASE, "use_spot_instances": True, "max_wait": 90000})
    assert request["CheckpointConfig"] == {"S3Uri": f"s3://artifacts/out/{request['TrainingJobName']}/checkpoints"}


def test_given_checkpoint_uri_is_kept_for_spot() -> None:
    request = build(
        {**BASE, "use_spot_instances": True, "max_wait": 90000, "checkpoint_s3_uri": "s3://artifacts/mine"}, STACK
    )
    assert request["CheckpointConfig"] == {"S3Uri": "s3://artifacts/mine"}


def test_defaults_from_the_lambda_environment() -> None:
    defaults = PlatformDefaults.from_environment(
        {
            "DEFAULT_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
            "DEFAULT_IMAGE_URI": "i",
            "DEFAULT_OUTPUT_PATH": "s3://o",
            "DEFAULT_CHECKPOINT_S3_URI": "s3://c",
            "READABLE_BUCKETS": "data-a, data-b",
            "WRITABLE_BUCKETS": "",
        }
    )
    assert defaults == PlatformDefaults(
        "arn:aws:iam::123456789012:role/r", "i", "s3://o", "s3://c", ("data-a", "data-b"), ()
    )
    assert PlatformDefaults.from_environment({}) == PlatformDefaults()


def test_defaults_from_mapping() -> None:
    assert PlatformDefaults.from_mapping({"output_path": "s3://o", "readable_buckets": ["a"]}) == PlatformDefaults(
        output_path="s3://o", readable_buckets=("a",)
    )
