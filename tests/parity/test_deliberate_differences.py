"""Where we deliberately differ from the SDK, one test each, and the inputs the SDK turns into a
request the service would refuse (or refuses itself) while we reject them up front naming the field. Each test shows the SDK's behaviour next to ours."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from training_request import InvalidTrainingInput, PlatformDefaults, build_training_job, build_tuning_job

from .cases import (
    ACCOUNT,
    HETEROGENEOUS_GROUPS,
    IMAGE_DIGEST,
    KMS_KEY,
    OUTPUT,
    REGISTRY_CREDENTIALS_LAMBDA,
    SOURCE_ARCHIVE,
    base_input,
)
from .compare import (
    CER_TAG,
    JOB_NAME_PATTERN,
    TUNING_JOB_NAME_PATTERN,
    botocore_problems,
    botocore_tuning_problems,
    generated_name_base,
)
from .sdk_oracle import DEFAULT_BUCKET_FORMAT, sdk_request

STACK = PlatformDefaults(
    role_arn=f"arn:aws:iam::{ACCOUNT}:role/platform-sagemaker-execution",
    image_uri=f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/platform-training:latest",
    output_path="s3://platform-artifacts-bucket/output",
    checkpoint_s3_uri="s3://platform-checkpoints-bucket/checkpoints",
)
REGION = "eu-west-1"


def ours(execution_input: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return build_training_job(execution_input, region=REGION, defaults=STACK, **kwargs).request


def rejected_fields(execution_input: dict[str, Any], region: str = REGION) -> set[str]:
    with pytest.raises(InvalidTrainingInput) as raised:
        build_training_job(execution_input, region=region, defaults=STACK)
    assert raised.value.problems, "an InvalidTrainingInput must list its problems"
    for problem in raised.value.problems:
        assert problem.field in str(raised.value)
    return {problem.field for problem in raised.value.problems}


def names_one_of(fields_named: set[str], fields: set[str]) -> bool:
    """A problem names one of `fields` or something inside it (`tags[0].Value`, `inputs.train.x`)."""
    return any(
        named == field or named.startswith((field + ".", field + "[")) for named in fields_named for field in fields
    )


def without(*keys: str, **overrides: Any) -> dict[str, Any]:
    return {k: v for k, v in base_input(**overrides).items() if k not in keys}


# --- Omitted role, image and output path come from the stack ---------------------------------


def test_omitted_role_is_the_stacks_execution_role(sdk) -> None:
    with pytest.raises(ValueError, match="role is required"):
        sdk(without("role"))
    assert ours(without("role"))["RoleArn"] == STACK.role_arn


def test_omitted_image_is_the_stacks_repository(sdk) -> None:
    with pytest.raises(TypeError, match="image_uri"):
        sdk(without("image_uri"))
    assert ours(without("image_uri"))["AlgorithmSpecification"]["TrainingImage"] == STACK.image_uri


def test_omitted_output_path_is_the_stacks_artifacts_bucket(sdk) -> None:
    sdk_default = f"s3://{DEFAULT_BUCKET_FORMAT.format(region=REGION)}/"
    sdk_request_ = sdk(without("output_path"), region=REGION)
    assert sdk_request_["OutputDataConfig"]["S3OutputPath"] == sdk_default

    request = ours(without("output_path"))
    assert request["OutputDataConfig"]["S3OutputPath"] == STACK.output_path
    # The SDK's silent debugger and profiler defaults follow the output path; so do ours.
    assert sdk_request_["DebugHookConfig"]["S3OutputPath"] == sdk_default
    assert request["DebugHookConfig"]["S3OutputPath"] == STACK.output_path
    assert request["ProfilerConfig"]["S3OutputPath"] == STACK.output_path


def test_the_oracle_given_the_stacks_values_matches_ours(sdk) -> None:
    """With the stack's values typed in explicitly, the SDK's request is ours (bar the CER tag)."""
    bare = without("role", "image_uri", "output_path", job_name="defaults-explicit")
    sdk_request_ = sdk(bare, defaults=STACK)
    assert ours(bare) == dict(sdk_request_, Tags=[CER_TAG])


# --- The CER tag ----------------------------------------------------------------------------


def test_cer_tag_is_appended_after_the_users_tags(sdk) -> None:
    tagged = base_input(job_name="tags", tags={"team": "vision"})
    assert sdk(tagged)["Tags"] == [{"Key": "team", "Value": "vision"}]
    assert ours(tagged)["Tags"] == [{"Key": "team", "Value": "vision"}, CER_TAG]

    untagged = base_input(job_name="no-tags")
    assert "Tags" not in sdk(untagged)
    assert ours(untagged)["Tags"] == [CER_TAG]


def test_users_cer_tag_is_kept_once_where_they_put_it(sdk) -> None:
    tags = [CER_TAG, {"Key": "team", "Value": "vision"}]
    execution_input = base_input(job_name="cer-given", tags=tags)
    assert sdk(execution_input)["Tags"] == tags
    assert ours(execution_input)["Tags"] == tags


@pytest.mark.parametrize("tags", [[{"Key": "CER", "Value": "0"}], {"CER": "0"}], ids=["list", "mapping"])
def test_cer_tag_with_another_value_is_an_error(tags: Any, sdk) -> None:
    execution_input = base_input(job_name="cer-other", tags=tags)
    assert sdk(execution_input)["Tags"] == [{"Key": "CER", "Value": "0"}]
    assert names_one_of(rejected_fields(execution_input), {"tags"})


# --- Generated job names ----------------------------------------------------------------------


def test_generated_name_keeps_the_sdk_form_and_is_fresh_per_call(sdk) -> None:
    execution_input = without("job_name", base_job_name="gan-nightly")
    sdk_name = sdk(execution_input)["TrainingJobName"]
    assert generated_name_base(sdk_name, by_sdk=True) == "gan-nightly"

    first = datetime(2024, 5, 17, 9, 30, 15, 123000, tzinfo=UTC)
    name = build_training_job(execution_input, region=REGION, defaults=STACK, now=first).job_name
    assert name == "gan-nightly-2024-05-17-09-30-15-123"
    later = build_training_job(
        execution_input, region=REGION, defaults=STACK, now=first + timedelta(milliseconds=1)
    ).job_name
    assert later != name and generated_name_base(later) == "gan-nightly"


def test_image_by_digest_gives_a_valid_generated_name(sdk) -> None:
    execution_input = without("job_name", image_uri=IMAGE_DIGEST)
    sdk_name = sdk(execution_input)["TrainingJobName"]
    assert generated_name_base(sdk_name, by_sdk=True) == "gan-trainer@sha256"
    assert not JOB_NAME_PATTERN.match(sdk_name)  # the service would refuse the SDK's name

    name = ours(execution_input)["TrainingJobName"]
    assert generated_name_base(name) == "gan-trainer"
    assert JOB_NAME_PATTERN.match(name)


# --- Spot training always checkpoints ---------------------------------------------------------


def test_spot_without_checkpoint_uri_gets_one_under_the_checkpoints_bucket(sdk) -> None:
    execution_input = base_input(job_name="spot-no-ckpt", use_spot_instances=True, max_wait=86400)
    assert "CheckpointConfig" not in sdk(execution_input)

    checkpoint_uri = ours(execution_input)["CheckpointConfig"]["S3Uri"]
    assert checkpoint_uri.startswith(STACK.checkpoint_s3_uri.rstrip("/") + "/")


def test_spot_with_checkpoint_uri_keeps_the_users(sdk) -> None:
    execution_input = base_input(
        job_name="spot-ckpt",
        use_spot_instances=True,
        max_wait=86400,
        checkpoint_s3_uri="s3://team-checkpoints/mine",
    )
    assert sdk(execution_input)["CheckpointConfig"] == ours(execution_input)["CheckpointConfig"]


# --- Outputs and volumes are encrypted with the stack's key -------------------------------------

STACK_WITH_KEY = replace(STACK, kms_key_arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000aaaa-11bb-22cc-33dd-444455556666")


def test_without_keys_outputs_and_volumes_use_the_stacks_key(sdk) -> None:
    """The SDK leaves both keys out: SageMaker then encrypts the model with the account's aws/s3 key, not the
    output bucket's default key. The platform names its own key for both."""
    execution_input = base_input(job_name="keys-default")
    sdk_request_ = sdk(execution_input)
    assert "KmsKeyId" not in sdk_request_["OutputDataConfig"]
    assert "VolumeKmsKeyId" not in sdk_request_["ResourceConfig"]

    request = build_training_job(execution_input, region=REGION, defaults=STACK_WITH_KEY).request
    assert request["OutputDataConfig"]["KmsKeyId"] == STACK_WITH_KEY.kms_key_arn
    assert request["ResourceConfig"]["VolumeKmsKeyId"] == STACK_WITH_KEY.kms_key_arn


def test_the_inputs_own_keys_win_over_the_stacks(sdk) -> None:
    execution_input = base_input(job_name="keys-given", output_kms_key=KMS_KEY, volume_kms_key=KMS_KEY)
    request = build_training_job(execution_input, region=REGION, defaults=STACK_WITH_KEY).request
    assert request["OutputDataConfig"] == sdk(execution_input)["OutputDataConfig"]
    assert request["ResourceConfig"] == sdk(execution_input)["ResourceConfig"]
    assert request["OutputDataConfig"]["KmsKeyId"] == request["ResourceConfig"]["VolumeKmsKeyId"] == KMS_KEY


@pytest.mark.parametrize("instance_type", ["ml.g5.2xlarge", "ml.p4d.24xlarge", "ml.g4dn.xlarge", "ml.trn1.32xlarge"])
def test_local_nvme_instances_get_no_volume_key(instance_type: str, sdk) -> None:
    """SageMaker refuses a VolumeKmsKeyId where the storage is local NVMe (encrypted by the instance): the
    stack's key is left out of the volume there, and a key the input names is refused up front."""
    execution_input = base_input(job_name="keys-nvme", instance_type=instance_type)
    request = build_training_job(execution_input, region=REGION, defaults=STACK_WITH_KEY).request
    assert "VolumeKmsKeyId" not in request["ResourceConfig"]
    assert request["OutputDataConfig"]["KmsKeyId"] == STACK_WITH_KEY.kms_key_arn

    with_volume_key = {**execution_input, "volume_kms_key": KMS_KEY}
    assert sdk(with_volume_key)["ResourceConfig"]["VolumeKmsKeyId"] == KMS_KEY  # the service would refuse it
    with pytest.raises(InvalidTrainingInput, match="volume_kms_key") as raised:
        build_training_job(with_volume_key, region=REGION, defaults=STACK_WITH_KEY)
    assert "local NVMe" in str(raised.value)


# --- What the SDK sends but the service refuses: we reject, naming the field ------------------


SDK_SENDS_INVALID = {
    "spot_without_max_wait": (base_input(use_spot_instances=True), {"max_wait", "use_spot_instances"}),
    "max_wait_below_max_run": (base_input(use_spot_instances=True, max_run=3600, max_wait=60), {"max_wait", "max_run"}),
    "job_name_with_underscore": (base_input(job_name="my_training_job"), {"job_name"}),
    "job_name_over_63_characters": (base_input(job_name="a" * 64), {"job_name"}),
    "output_path_not_s3": (base_input(output_path="gs://team-artifacts/out"), {"output_path"}),
    "checkpoint_uri_not_s3": (base_input(checkpoint_s3_uri="/opt/ml/checkpoints"), {"checkpoint_s3_uri"}),
    "input_file_uri": (base_input(inputs={"train": "file:///data/train"}), {"inputs.train"}),
    "channel_attribute_unknown_to_the_api": (
        base_input(inputs={"train": {"s3_data": f"{OUTPUT}/m", "target_attribute_name": "label"}}),
        {"inputs.train.target_attribute_name"},
    ),
    "keep_alive_beyond_the_api_maximum": (
        base_input(keep_alive_period_in_seconds=21601),
        {"keep_alive_period_in_seconds"},
    ),
    "empty_container_entry_point": (base_input(container_entry_point=[]), {"container_entry_point"}),
    "channel_group_the_cluster_lacks": (
        base_input(
            instance_type=None,
            instance_count=None,
            instance_groups=HETEROGENEOUS_GROUPS,
            inputs={"train": {"s3_data": f"{OUTPUT}/d", "instance_groups": ["tpu-group"]}},
        ),
        {"inputs.train.instance_groups"},
    ),
    "duplicate_instance_group_names": (
        base_input(
            instance_type=None,
            instance_count=None,
            instance_groups=[HETEROGENEOUS_GROUPS[0], HETEROGENEOUS_GROUPS[0]],
        ),
        {"instance_groups"},
    ),
}


def script_mode(**overrides: Any) -> dict[str, Any]:
    """A script-mode input; an override of None leaves that key out."""
    settings = {"job_name": "script-mode", "entry_point": "train.py", "source_dir": SOURCE_ARCHIVE, **overrides}
    return {key: value for key, value in base_input(**settings).items() if value is not None}


SCRIPT_MODE_SDK_SENDS = {
    # The SDK packs dependencies only when it uploads local code: with an s3:// source_dir it drops them.
    "dependencies_with_an_s3_source_dir": (script_mode(dependencies=["libs/common"]), {"dependencies"}),
    # No entry point: the SDK sends sagemaker_program "null" and the job fails in the container.
    "source_dir_without_entry_point": (script_mode(entry_point=None), {"entry_point"}),
    # The SDK's rule is a file at the archive's root; it passes a path on unchecked.
    "entry_point_with_directories": (script_mode(entry_point="src/train.py"), {"entry_point"}),
    "source_dir_not_an_archive": (script_mode(source_dir="s3://team-code/gan/src/"), {"source_dir"}),
    "log_level_not_a_logging_level": (script_mode(container_log_level=15), {"container_log_level"}),
}


@pytest.mark.parametrize("name", sorted(SCRIPT_MODE_SDK_SENDS))
def test_script_mode_inputs_the_sdk_sends_a_job_for_we_refuse_naming_the_field(name: str, sdk) -> None:
    execution_input, fields = SCRIPT_MODE_SDK_SENDS[name]
    assert "sagemaker_program" in sdk(execution_input)["HyperParameters"]
    fields_named = rejected_fields(execution_input)
    assert names_one_of(fields_named, fields), f"want one of {sorted(fields)}: {fields_named}"


def test_sdk_drops_dependencies_with_an_s3_source_dir(sdk) -> None:
    execution_input, _ = SCRIPT_MODE_SDK_SENDS["dependencies_with_an_s3_source_dir"]
    assert sdk(execution_input) == sdk(script_mode())


def test_a_local_source_dir_is_refused_with_what_to_do(sdk) -> None:
    execution_input = script_mode(source_dir="src")
    with pytest.raises(ValueError, match="No file named"):
        sdk(execution_input)  # the SDK looks for the directory on this machine
    with pytest.raises(InvalidTrainingInput) as raised:
        build_training_job(execution_input, region=REGION, defaults=STACK)
    (problem,) = raised.value.problems
    assert problem.field == "source_dir"
    assert "upload it to S3 and give its s3:// URI as source_dir" in problem.rule


def test_an_entry_point_without_source_dir_is_a_local_file_refused_with_what_to_do(sdk) -> None:
    execution_input = base_input(job_name="local-entry-point", entry_point="train.py")
    with pytest.raises(FileNotFoundError):
        sdk(execution_input)  # the SDK reads the file to upload it
    (problem,) = refused_problems(execution_input)
    assert problem.field == "entry_point"
    assert "upload it to S3" in problem.rule


def test_git_config_is_refused_without_showing_its_credentials() -> None:
    # The SDK would run `git clone` here; the platform starts jobs where no git runs.
    execution_input = script_mode(git_config={"repo": "https://example.com/team/gan.git", "token": "s3cr3t"})
    problems = refused_problems(execution_input)
    assert [problem.field for problem in problems] == ["git_config"]
    assert "git archive" in problems[0].rule
    assert "s3cr3t" not in str(InvalidTrainingInput(problems))


def refused_problems(execution_input: dict[str, Any]) -> list[Any]:
    with pytest.raises(InvalidTrainingInput) as raised:
        build_training_job(execution_input, region=REGION, defaults=STACK)
    return raised.value.problems


def test_sdk_drops_a_registry_credentials_provider_without_the_access_mode_we_refuse_it(sdk) -> None:
    execution_input = base_input(training_repository_credentials_provider_arn=REGISTRY_CREDENTIALS_LAMBDA)
    assert "TrainingImageConfig" not in sdk(execution_input)["AlgorithmSpecification"]
    assert rejected_fields(execution_input) == {"training_repository_credentials_provider_arn"}


@pytest.mark.parametrize("name", sorted(SDK_SENDS_INVALID))
def test_sdk_sends_an_invalid_request_we_reject_naming_the_field(name: str, sdk) -> None:
    execution_input, fields = SDK_SENDS_INVALID[name]
    sdk_request_ = sdk(execution_input)  # the SDK raises nothing: the service would refuse it
    assert sdk_request_["TrainingJobName"]
    fields_named = rejected_fields(execution_input)
    assert names_one_of(fields_named, fields), f"want one of {sorted(fields)}: {fields_named}"


def test_botocore_itself_refuses_the_sdks_target_attribute_name(sdk) -> None:
    execution_input, _ = SDK_SENDS_INVALID["channel_attribute_unknown_to_the_api"]
    assert "TargetAttributeName" in botocore_problems(sdk(execution_input))


# --- What the SDK itself refuses (with an exception, not a field): we refuse too, naming it -------

SDK_RAISES = {
    "rules_where_the_sdk_has_no_debugger": (base_input(rules=[{"rule": "overfit"}]), "ap-southeast-3", {"rules"}),
    "debugger_hook_where_the_sdk_has_no_debugger": (
        base_input(debugger_hook_config={"s3_output_path": "s3://team-artifacts/debug"}),
        "eu-central-2",
        {"debugger_hook_config"},
    ),
    "profiler_rule_with_profiler_disabled": (
        base_input(disable_profiler=True, rules=[{"profiler_rule": "ProfilerReport"}]),
        REGION,
        {"rules", "disable_profiler"},
    ),
    "profiler_config_on_trainium": (
        base_input(instance_type="ml.trn1.2xlarge", profiler_config={"s3_output_path": OUTPUT}),
        REGION,
        {"profiler_config", "instance_type"},
    ),
    "input_not_a_uri": (base_input(inputs={"train": "https://team-datasets/x"}), REGION, {"inputs.train"}),
    "instance_groups_with_instance_type": (
        base_input(instance_groups=HETEROGENEOUS_GROUPS),
        REGION,
        {"instance_type", "instance_count"},
    ),
}


@pytest.mark.parametrize("name", sorted(SDK_RAISES))
def test_sdk_refuses_and_so_do_we_naming_the_field(name: str, sdk) -> None:
    execution_input, region, fields = SDK_RAISES[name]
    with pytest.raises((ValueError, RuntimeError)):
        sdk(execution_input, region=region)
    fields_named = rejected_fields(execution_input, region)
    assert names_one_of(fields_named, fields), f"want one of {sorted(fields)}: {fields_named}"


def test_uncached_oracle_gives_the_same_request_as_the_shared_session(sdk) -> None:
    """The session-scoped SDK session carries no state from one case to the next."""
    execution_input = base_input(job_name="fresh-session", rules=[{"rule": "overfit"}])
    assert sdk_request(execution_input, region=REGION) == sdk(execution_input)


# === Tuning requests: HyperparameterTuner(Estimator(...), **tuner).fit(...) ==========================


def tuning_input(
    job_name: str | None = "tuning", tuner_overrides: dict[str, Any] | None = None, **overrides: Any
) -> dict[str, Any]:
    tuner = {
        "objective_metric_name": "loss",
        "metric_definitions": [{"Name": "loss", "Regex": "Loss = (.*?);"}],
        "hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.001, "max_value": 0.1}},
    }
    tuner.update(tuner_overrides or {})
    execution_input = base_input(tuner={k: v for k, v in tuner.items() if v is not None}, **overrides)
    if job_name is None:
        execution_input.pop("job_name", None)
    else:
        execution_input["job_name"] = job_name
    return execution_input


def ours_tuning(execution_input: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return build_tuning_job(execution_input, region=REGION, defaults=STACK, **kwargs).request


def rejected_tuning_fields(execution_input: dict[str, Any]) -> set[str]:
    with pytest.raises(InvalidTrainingInput) as raised:
        build_tuning_job(execution_input, region=REGION, defaults=STACK)
    assert raised.value.problems, "an InvalidTrainingInput must list its problems"
    return {problem.field for problem in raised.value.problems}


def test_cer_tag_is_on_the_tuning_job_which_gives_it_to_its_training_jobs(sdk_tuning) -> None:
    untagged = tuning_input()
    assert "Tags" not in sdk_tuning(untagged)
    assert ours_tuning(untagged)["Tags"] == [CER_TAG]
    tagged = tuning_input(tuner_overrides={"tags": {"purpose": "hpo"}}, tags={"team": "vision"})
    assert sdk_tuning(tagged)["Tags"] == [{"Key": "purpose", "Value": "hpo"}, {"Key": "team", "Value": "vision"}]
    assert ours_tuning(tagged)["Tags"] == [
        {"Key": "purpose", "Value": "hpo"},
        {"Key": "team", "Value": "vision"},
        CER_TAG,
    ]
    # The training job definition has no Tags member: SageMaker tags the training jobs with the tuning job's.
    assert "Tags" not in ours_tuning(tagged)["TrainingJobDefinition"]


@pytest.mark.parametrize(
    "tags", [{"tags": [{"Key": "CER", "Value": "0"}]}, {"tags": {"CER": "2"}}], ids=["list", "mapping"]
)
def test_cer_tag_with_another_value_on_the_tuner_is_an_error(tags: dict[str, Any], sdk_tuning) -> None:
    execution_input = tuning_input(tuner_overrides=tags)
    assert sdk_tuning(execution_input)["Tags"][0]["Key"] == "CER"
    assert names_one_of(rejected_tuning_fields(execution_input), {"tuner.tags"})


def test_generated_tuning_names_are_unique_within_a_minute(sdk_tuning) -> None:
    """The SDK's tuning job name has minute resolution: two tunings started in the same minute collide."""
    execution_input = tuning_input(job_name=None, tuner_overrides={"base_tuning_job_name": "gan-hpo"})
    assert re.fullmatch(r"gan-hpo-\d{6}-\d{4}", sdk_tuning(execution_input)["HyperParameterTuningJobName"])
    first = datetime(2024, 5, 17, 9, 30, 15, 123000, tzinfo=UTC)
    name = build_tuning_job(execution_input, region=REGION, defaults=STACK, now=first).job_name
    assert name == "gan-hpo-240517-093015-123"
    later = build_tuning_job(execution_input, region=REGION, defaults=STACK, now=first + timedelta(milliseconds=1))
    assert later.job_name != name and len(later.job_name) <= 32


def test_image_by_digest_gives_a_valid_generated_tuning_name(sdk_tuning) -> None:
    execution_input = tuning_input(job_name=None, image_uri=IMAGE_DIGEST)
    sdk_name = sdk_tuning(execution_input)["HyperParameterTuningJobName"]
    assert sdk_name.startswith("gan-trainer@sha256")
    assert not TUNING_JOB_NAME_PATTERN.match(sdk_name)  # the service would refuse the SDK's name
    name = ours_tuning(execution_input)["HyperParameterTuningJobName"]
    assert name.startswith("gan-trainer-") and TUNING_JOB_NAME_PATTERN.match(name)


def test_grid_leaves_max_jobs_out_where_the_sdk_sends_null(sdk_tuning) -> None:
    execution_input = tuning_input(
        tuner_overrides={
            "strategy": "Grid",
            "hyperparameter_ranges": {"optimizer": {"type": "Categorical", "values": ["adam", "sgd"]}},
        }
    )
    sdk_limits = sdk_tuning(execution_input)["HyperParameterTuningJobConfig"]["ResourceLimits"]
    assert sdk_limits["MaxNumberOfTrainingJobs"] is None
    assert "MaxNumberOfTrainingJobs" in botocore_tuning_problems(sdk_tuning(execution_input))
    assert ours_tuning(execution_input)["HyperParameterTuningJobConfig"]["ResourceLimits"] == {
        "MaxParallelTrainingJobs": 1
    }


def test_warm_start_parents_keep_the_users_order(sdk_tuning) -> None:
    parents = ["p3", "p1", "p2", "p1"]
    execution_input = tuning_input(
        tuner_overrides={"warm_start_config": {"warm_start_type": "TransferLearning", "parents": parents}}
    )
    sdk_parents = sdk_tuning(execution_input)["WarmStartConfig"]["ParentHyperParameterTuningJobs"]
    assert sorted(parent["HyperParameterTuningJobName"] for parent in sdk_parents) == [
        "p1",
        "p2",
        "p3",
    ]  # a set's order
    ours_parents = ours_tuning(execution_input)["WarmStartConfig"]["ParentHyperParameterTuningJobs"]
    assert [parent["HyperParameterTuningJobName"] for parent in ours_parents] == ["p3", "p1", "p2"]


def test_a_spot_tuning_job_gets_no_default_checkpoints(sdk_tuning) -> None:
    """Unlike a single spot job: the training jobs of one tuning job would share the location."""
    execution_input = tuning_input(use_spot_instances=True, max_wait=86400)
    assert "CheckpointConfig" not in sdk_tuning(execution_input)["TrainingJobDefinition"]
    assert "CheckpointConfig" not in ours_tuning(execution_input)["TrainingJobDefinition"]
    training_input = {key: value for key, value in execution_input.items() if key != "tuner"}
    assert "CheckpointConfig" in ours(training_input)


# Estimator arguments the SDK drops from a tuning job without a word: we refuse them, naming the field.
DROPPED_BY_THE_SDK = {
    "metric_definitions": [{"Name": "loss", "Regex": "Loss = (.*?);"}],
    "base_job_name": "gan-nightly",
    "rules": [{"rule": "overfit"}],
    "debugger_hook_config": {"s3_output_path": "s3://team-artifacts/debug"},
    "profiler_config": {"system_monitor_interval_millis": 500},
    "disable_profiler": False,
    "tensorboard_output_config": {"s3_output_path": "s3://team-artifacts/tensorboard"},
    "enable_sagemaker_metrics": True,
    "experiment_config": {"ExperimentName": "gan"},
}


@pytest.mark.parametrize("key", sorted(DROPPED_BY_THE_SDK))
def test_estimator_arguments_a_tuning_job_drops_are_refused(key: str, sdk_tuning) -> None:
    execution_input = tuning_input(**{key: DROPPED_BY_THE_SDK[key]})
    sdk_request_ = sdk_tuning(execution_input)  # the SDK raises nothing and sends a request without them
    assert botocore_tuning_problems(sdk_request_) == ""
    assert rejected_tuning_fields(execution_input) == {key}


def test_values_that_ask_for_what_a_tuning_job_does_anyway_are_accepted() -> None:
    assert ours_tuning(tuning_input(debugger_hook_config=False, disable_profiler=True))["TrainingJobDefinition"]


# What the SDK sends but the service refuses (or would run as not meant): we reject, naming the field.
TUNING_SDK_SENDS_INVALID = {
    "min_above_max": (
        {"hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.1, "max_value": 0.01}}},
        {},
        "tuner.hyperparameter_ranges.lr.min_value",
    ),
    "logarithmic_from_zero": (
        {
            "hyperparameter_ranges": {
                "lr": {"type": "Continuous", "min_value": 0, "max_value": 0.1, "scaling_type": "Logarithmic"}
            }
        },
        {},
        "tuner.hyperparameter_ranges.lr.min_value",
    ),
    "reverse_logarithmic_above_one": (
        {
            "hyperparameter_ranges": {
                "m": {"type": "Continuous", "min_value": 0.5, "max_value": 2, "scaling_type": "ReverseLogarithmic"}
            }
        },
        {},
        "tuner.hyperparameter_ranges.m.scaling_type",
    ),
    "integer_range_with_fractional_bounds": (
        {"hyperparameter_ranges": {"layers": {"type": "Integer", "min_value": 1.5, "max_value": 4}}},
        {},
        "tuner.hyperparameter_ranges.layers.min_value",
    ),
    "objective_not_among_metric_definitions": (
        {"objective_metric_name": "accuracy"},
        {},
        "tuner.objective_metric_name",
    ),
    "objective_without_metric_definitions": ({"metric_definitions": None}, {}, "tuner.metric_definitions"),
    "max_parallel_above_max_jobs": ({"max_jobs": 4, "max_parallel_jobs": 8}, {}, "tuner.max_parallel_jobs"),
    "max_parallel_above_the_default_max_jobs": ({"max_parallel_jobs": 3}, {}, "tuner.max_parallel_jobs"),
    "grid_with_a_continuous_range": ({"strategy": "Grid"}, {}, "tuner.hyperparameter_ranges.lr"),
    "grid_with_max_jobs": (
        {"strategy": "Grid", "max_jobs": 4, "hyperparameter_ranges": {"o": {"type": "Categorical", "values": ["a"]}}},
        {},
        "tuner.max_jobs",
    ),
    "hyperband_with_early_stopping": (
        {"strategy": "Hyperband", "early_stopping_type": "Auto"},
        {},
        "tuner.early_stopping_type",
    ),
    "strategy_config_without_hyperband": (
        {"strategy_config": {"hyperband_strategy_config": {"max_resource": 10, "min_resource": 1}}},
        {},
        "tuner.strategy_config",
    ),
    "warm_start_with_six_parents": (
        {"warm_start_config": {"warm_start_type": "TransferLearning", "parents": [f"p{i}" for i in range(6)]}},
        {},
        "tuner.warm_start_config.parents",
    ),
    "tuning_job_name_over_32_characters": ({}, {"job_name": "a" * 33}, "job_name"),
    "max_runtime_below_the_api_minimum": ({"max_runtime_in_seconds": 60}, {}, "tuner.max_runtime_in_seconds"),
    "completion_criteria_below_three_jobs": (
        {"completion_criteria_config": {"max_number_of_training_jobs_not_improving": 2}},
        {},
        "tuner.completion_criteria_config.max_number_of_training_jobs_not_improving",
    ),
}


@pytest.mark.parametrize("name", sorted(TUNING_SDK_SENDS_INVALID))
def test_sdk_sends_an_invalid_tuning_request_we_reject_naming_the_field(name: str, sdk_tuning) -> None:
    tuner_overrides, overrides, field = TUNING_SDK_SENDS_INVALID[name]
    execution_input = tuning_input(tuner_overrides=tuner_overrides, **overrides)
    assert sdk_tuning(execution_input)["HyperParameterTuningJobName"]  # the SDK raises nothing
    assert field in rejected_tuning_fields(execution_input)


# What the SDK itself refuses with an exception: we refuse too, naming the field.
TUNING_SDK_RAISES = {
    "no_ranges_without_autotune": ({"hyperparameter_ranges": None}, "tuner.hyperparameter_ranges"),
    "keep_static_without_autotune": (
        {"hyperparameters_to_keep_static": ["epochs"]},
        "tuner.hyperparameters_to_keep_static",
    ),
    "keep_static_names_a_missing_hyperparameter": (
        {"autotune": True, "hyperparameters_to_keep_static": ["missing"]},
        "tuner.hyperparameters_to_keep_static",
    ),
    "warm_start_without_parents": (
        {"warm_start_config": {"warm_start_type": "TransferLearning", "parents": []}},
        "tuner.warm_start_config.parents",
    ),
}


@pytest.mark.parametrize("name", sorted(TUNING_SDK_RAISES))
def test_sdk_refuses_a_tuning_request_and_so_do_we_naming_the_field(name: str, sdk_tuning) -> None:
    tuner_overrides, field = TUNING_SDK_RAISES[name]
    execution_input = tuning_input(tuner_overrides=tuner_overrides, hyperparameters={"epochs": 3})
    with pytest.raises(ValueError):
        sdk_tuning(execution_input)
    assert field in rejected_tuning_fields(execution_input)
