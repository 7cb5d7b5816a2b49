"""Validation: every problem names the field as the user wrote it, the value and the rule; all are reported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from training_request import InvalidTrainingInput, PlatformDefaults, Problem, build_training_job

NOW = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
BASE = {
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:latest",
    "role": "arn:aws:iam::123456789012:role/sagemaker-execution",
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "output_path": "s3://artifacts/out",
}
FS = {"file_system_id": "fs-0123456789abcdef0", "file_system_type": "EFS", "directory_path": "/data"}


def problems(
    extra: dict | None = None,
    *,
    drop: tuple[str, ...] = (),
    region: str = "eu-west-1",
    defaults: PlatformDefaults = PlatformDefaults(),
) -> list[Problem]:
    data = {key: value for key, value in {**BASE, **(extra or {})}.items() if key not in drop}
    with pytest.raises(InvalidTrainingInput) as caught:
        build_training_job(data, region=region, defaults=defaults, now=NOW)
    return caught.value.problems


def the_problem(extra: dict | None = None, **kwargs: object) -> Problem:
    found = problems(extra, **kwargs)  # type: ignore[arg-type]
    assert len(found) == 1, found
    return found[0]


def assert_problem(found: Problem, field: str, *words: str) -> None:
    assert found.field == field
    for word in words:
        assert word in found.rule, (word, found.rule)


@pytest.mark.parametrize("value", [[], "text", 3, None, True])
def test_input_must_be_an_object(value: object) -> None:
    with pytest.raises(InvalidTrainingInput) as caught:
        build_training_job(value, region="eu-west-1")
    assert_problem(caught.value.problems[0], "input", "JSON object")


def test_unknown_key_suggests_the_closest_known_key() -> None:
    assert_problem(the_problem({"instance_typ": "ml.m5.large"}), "instance_typ", "unknown key", "'instance_type'")


def test_unknown_nested_key_is_named_with_its_path() -> None:
    assert_problem(
        the_problem({"inputs": {"train": {"s3_data": "s3://d/t", "distribtion": "ShardedByS3Key"}}}),
        "inputs.train.distribtion",
        "did you mean 'distribution'",
    )


def test_wrong_type_names_the_json_type() -> None:
    assert_problem(the_problem({"instance_count": "2"}), "instance_count", "must be an integer", "a string")


def test_boolean_is_not_an_integer() -> None:
    assert_problem(the_problem({"volume_size": True}), "volume_size", "must be an integer")


def test_float_is_not_an_integer() -> None:
    assert_problem(the_problem({"max_run": 3600.5}), "max_run", "must be an integer")


def test_null_option_means_not_given() -> None:
    # A console template may keep unused keys as null: each takes its default, as None does in the SDK.
    nulls = {"volume_size": None, "max_wait": None, "tensorboard_output_config": None, "inputs": None}
    request = build_training_job({**BASE, **nulls}, region="eu-west-1", now=NOW).request
    assert request == build_training_job(BASE, region="eu-west-1", now=NOW).request
    assert request["ResourceConfig"]["VolumeSizeInGB"] == 30


def test_null_required_option_is_missing() -> None:
    assert_problem(the_problem({"instance_type": None}), "instance_type", "is required")


def test_null_nested_option_means_not_given() -> None:
    channel = {"train": {"s3_data": "s3://data/train", "content_type": None, "shuffle_config": None}}
    request = build_training_job({**BASE, "inputs": channel}, region="eu-west-1", now=NOW).request
    assert "ContentType" not in request["InputDataConfig"][0]


def test_missing_instance_type_and_count_like_the_sdk() -> None:
    found = problems(drop=("instance_type", "instance_count"))
    assert {problem.field for problem in found} == {"instance_type", "instance_count"}


def test_instance_type_outside_the_api_enum_suggests_one() -> None:
    assert_problem(
        the_problem({"instance_type": "ml.m5.xlarg"}), "instance_type", "ResourceConfig.InstanceType", "'ml.m5.xlarge'"
    )


def test_instance_count_at_least_one() -> None:
    assert_problem(the_problem({"instance_count": 0}), "instance_count", "at least 1")


def test_max_run_minimum_and_int32_range() -> None:
    assert_problem(the_problem({"max_run": 0}), "max_run", "between 1 and")
    assert_problem(the_problem({"max_run": 2**40}), "max_run", "2147483647")


def test_retry_attempts_between_1_and_30() -> None:
    assert_problem(the_problem({"max_retry_attempts": 31}), "max_retry_attempts", "between 1 and 30")
    assert_problem(the_problem({"max_retry_attempts": 0}), "max_retry_attempts", "between 1 and 30")


def test_input_mode_enum() -> None:
    assert_problem(the_problem({"input_mode": "file"}), "input_mode", "Pipe, File, FastFile", "'File'")


def test_channel_input_mode_enum() -> None:
    assert_problem(
        the_problem({"inputs": {"train": {"s3_data": "s3://d/t", "input_mode": "Stream"}}}),
        "inputs.train.input_mode",
        "must be one of",
    )


def test_distribution_compression_record_wrapping_enums() -> None:
    found = problems(
        {
            "inputs": {
                "train": {
                    "s3_data": "s3://d/t",
                    "distribution": "Sharded",
                    "compression": "zip",
                    "record_wrapping": "Record",
                }
            }
        }
    )
    assert {problem.field for problem in found} == {
        "inputs.train.distribution",
        "inputs.train.compression",
        "inputs.train.record_wrapping",
    }


def test_s3_data_type_enum() -> None:
    assert_problem(
        the_problem({"inputs": {"s3_data": "s3://d/t", "s3_data_type": "Prefix"}}),
        "inputs.s3_data_type",
        "must be one of",
    )


def test_channel_name_pattern_and_length() -> None:
    assert_problem(the_problem({"inputs": {"my channel": "s3://d/t"}}), "inputs.my channel", "pattern")
    assert_problem(the_problem({"inputs": {"c" * 65: "s3://d/t"}}), "inputs." + "c" * 65, "at most 64")


def test_too_many_channels() -> None:
    assert_problem(the_problem({"inputs": {f"c{index}": "s3://d/t" for index in range(21)}}), "inputs", "at most 20")


def test_non_s3_uris_are_rejected() -> None:
    found = problems(
        {
            "inputs": {"a": "file:///tmp/x", "b": {"s3_data": "https://bucket.s3.amazonaws.com/x"}},
            "output_path": "/local/out",
            "model_uri": "gs://x/m",
            "checkpoint_s3_uri": "s3:/typo",
        }
    )
    assert {problem.field for problem in found} == {
        "inputs.a",
        "inputs.b.s3_data",
        "output_path",
        "model_uri",
        "checkpoint_s3_uri",
    }
    assert all("S3 URI" in problem.rule for problem in found)


def test_channel_value_of_wrong_form() -> None:
    assert_problem(
        the_problem({"inputs": {"train": 5}}), "inputs.train", "S3 URI string", "TrainingInput", "FileSystemInput"
    )


def test_inputs_of_wrong_type() -> None:
    assert_problem(the_problem({"inputs": [1]}), "inputs", "must be")


def test_training_input_needs_s3_data_not_target_attribute() -> None:
    assert_problem(
        the_problem({"inputs": {"t": {"s3_data": "s3://d/t", "target_attribute_name": "y"}}}),
        "inputs.t.target_attribute_name",
        "AutoML",
    )


def test_file_system_input_needs_type_and_directory_like_the_sdk() -> None:
    found = problems(
        {
            "inputs": {"fs": {"file_system_id": "fs-0123456789abcdef0"}},
            "subnets": ["subnet-1"],
            "security_group_ids": ["sg-1"],
        }
    )
    assert {problem.field for problem in found} == {"inputs.fs.file_system_type", "inputs.fs.directory_path"}


def test_file_system_type_and_access_mode_of_the_sdk() -> None:
    found = problems(
        {
            "inputs": {"fs": {**FS, "file_system_type": "FSxOntap", "file_system_access_mode": "rx"}},
            "subnets": ["subnet-1"],
            "security_group_ids": ["sg-1"],
        }
    )
    assert {problem.field for problem in found} == {"inputs.fs.file_system_type", "inputs.fs.file_system_access_mode"}


def test_file_system_id_pattern() -> None:
    assert_problem(
        the_problem(
            {
                "inputs": {"fs": {**FS, "file_system_id": "fs-zzzzzzzzzz"}},
                "subnets": ["subnet-1"],
                "security_group_ids": ["sg-1"],
            }
        ),
        "inputs.fs.file_system_id",
        "pattern",
    )


def test_file_system_channel_needs_a_vpc() -> None:
    assert_problem(the_problem({"inputs": {"fs": FS}}), "inputs", "need a VPC", "subnets", "security_group_ids")


def test_subnets_without_security_groups_like_the_sdk() -> None:
    assert_problem(the_problem({"subnets": ["subnet-1"]}), "security_group_ids", "a VPC needs both")
    assert_problem(the_problem({"security_group_ids": ["sg-1"]}), "subnets", "a VPC needs both")


def test_vpc_list_sizes_and_ids() -> None:
    found = problems({"subnets": [], "security_group_ids": ["sg-1"] * 6 + ["bad id!"]})
    assert {problem.field for problem in found} == {"subnets", "security_group_ids", "security_group_ids[6]"}


def test_spot_without_max_wait() -> None:
    assert_problem(the_problem({"use_spot_instances": True}), "max_wait", "required with use_spot_instances")


def test_max_wait_below_max_run() -> None:
    assert_problem(
        the_problem({"use_spot_instances": True, "max_run": 3600, "max_wait": 1800}),
        "max_wait",
        "at least max_run (3600)",
    )


def test_max_wait_without_spot() -> None:
    assert_problem(the_problem({"max_wait": 90000}), "max_wait", "only to spot training")


def test_job_name_too_long() -> None:
    assert_problem(the_problem({"job_name": "a" * 64}), "job_name", "at most 63")


def test_job_name_pattern() -> None:
    assert_problem(the_problem({"job_name": "my_job"}), "job_name", "pattern")
    assert_problem(the_problem({"job_name": "-job"}), "job_name", "pattern")


def test_base_job_name_characters() -> None:
    assert_problem(the_problem({"base_job_name": "gan_v2"}), "base_job_name", "letters, digits and '-'")


def test_hyperparameter_key_and_value_lengths_and_count() -> None:
    assert_problem(the_problem({"hyperparameters": {"k" * 257: 1}}), "hyperparameters." + "k" * 257, "at most 256")
    assert_problem(the_problem({"hyperparameters": {"big": "v" * 2501}}), "hyperparameters.big", "at most 2500")
    assert_problem(
        the_problem({"hyperparameters": {f"h{index}": index for index in range(101)}}), "hyperparameters", "at most 100"
    )


def test_hyperparameter_null() -> None:
    assert_problem(the_problem({"hyperparameters": {"lr": None}}), "hyperparameters.lr", "must not be null")


def test_environment_key_pattern_value_length_and_type() -> None:
    found = problems({"environment": {"1BAD": "x", "LONG": "v" * 513, "NUM": 3}})
    assert {problem.field for problem in found} == {"environment.1BAD", "environment.LONG", "environment.NUM"}


def test_metric_regex_must_compile() -> None:
    assert_problem(
        the_problem({"metric_definitions": [{"Name": "loss", "Regex": "Loss = (.*?;"}]}),
        "metric_definitions[0].Regex",
        "compiles",
    )


def test_metric_definition_keys_and_count() -> None:
    assert_problem(
        the_problem({"metric_definitions": [{"name": "loss", "Name": "l", "Regex": "x"}]}),
        "metric_definitions[0].name",
        "'Name'",
    )
    many = [{"Name": f"m{index}", "Regex": "m=(.*)"} for index in range(41)]
    assert_problem(the_problem({"metric_definitions": many}), "metric_definitions", "at most 40")


def test_experiment_names_pattern() -> None:
    assert_problem(
        the_problem({"experiment_config": {"ExperimentName": "my experiment"}}),
        "experiment_config.ExperimentName",
        "pattern",
    )


def test_tags_forms_and_limits() -> None:
    assert_problem(the_problem({"tags": [{"Key": "a"}]}), "tags[0].Value", "required")
    assert_problem(the_problem({"tags": [{"Key": "a", "Value": 1}]}), "tags[0].Value", "must be a string")
    assert_problem(the_problem({"tags": "CER=1"}), "tags", "list of")
    assert_problem(the_problem({"tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}), "tags", "repeat")
    assert_problem(the_problem({"tags": {f"k{index}": "v" for index in range(50)}}), "tags", "at most 50")


def test_volume_and_output_kms_key_pattern() -> None:
    found = problems({"volume_kms_key": "key with spaces", "output_kms_key": "k" * 2049})
    assert {problem.field for problem in found} == {"volume_kms_key", "output_kms_key"}


def test_debugger_rule_unknown_name_suggests() -> None:
    assert_problem(the_problem({"rules": [{"rule": "loss_not_decreasin"}]}), "rules[0].rule", "'loss_not_decreasing'")


def test_profiler_rule_unknown_name_and_parameter() -> None:
    assert_problem(
        the_problem({"rules": [{"profiler_rule": "ProfilerReprt"}]}), "rules[0].profiler_rule", "'ProfilerReport'"
    )
    assert_problem(
        the_problem({"rules": [{"profiler_rule": "CPUBottleneck", "rule_parameters": {"treshold": 5}}]}),
        "rules[0].rule_parameters.treshold",
        "not a parameter of CPUBottleneck",
        "'threshold'",
    )


def test_debugger_rule_parameters_must_be_strings_like_the_api() -> None:
    assert_problem(
        the_problem({"rules": [{"rule": "overfit", "rule_parameters": {"patience_steps": 5}}]}),
        "rules[0].rule_parameters.patience_steps",
        "must be a string",
    )


def test_built_in_rule_cannot_take_rule_to_invoke() -> None:
    assert_problem(
        the_problem({"rules": [{"rule": "overfit", "rule_parameters": {"rule_to_invoke": "X"}}]}),
        "rules[0].rule_parameters.rule_to_invoke",
        "built-in rule",
    )


def test_rule_entry_of_unknown_form() -> None:
    assert_problem(the_problem({"rules": [{"name": "x"}]}), "rules[0]", '"rule"', '"profiler_rule"')


def test_rules_in_a_region_without_rule_images() -> None:
    assert_problem(
        the_problem({"rules": [{"rule": "overfit"}]}, region="il-central-1"),
        "rules",
        "no Debugger rule evaluator image in region il-central-1",
    )


def test_debugger_hook_in_a_region_without_debugger() -> None:
    assert_problem(
        the_problem({"debugger_hook_config": {"s3_output_path": "s3://artifacts/d"}}, region="ap-southeast-3"),
        "debugger_hook_config",
        "no Debugger in region ap-southeast-3",
    )


def test_profiler_rules_when_the_profiler_is_off() -> None:
    assert_problem(
        the_problem({"disable_profiler": True, "rules": [{"profiler_rule": "ProfilerReport"}]}),
        "rules",
        "profiler rules",
    )
    assert_problem(
        the_problem({"instance_type": "ml.trn1.2xlarge", "profiler_config": {}}),
        "profiler_config.disable_profiler",
        "ml.trn1.2xlarge",
    )


def test_debugger_hook_of_wrong_type() -> None:
    assert_problem(the_problem({"debugger_hook_config": "off"}), "debugger_hook_config", "false to turn the hook off")


def test_tensorboard_needs_s3_output_path_like_the_sdk() -> None:
    assert_problem(
        the_problem({"tensorboard_output_config": {"container_local_output_path": "/tb"}}),
        "tensorboard_output_config.s3_output_path",
        "required",
    )


def test_logs_choices() -> None:
    assert_problem(the_problem({"logs": "Some"}), "logs", "All, None, Training, Rules")


def test_region_must_look_like_one() -> None:
    with pytest.raises(InvalidTrainingInput) as caught:
        build_training_job(BASE, region="Europe")
    assert_problem(caught.value.problems[0], "region", "AWS region")


def test_missing_defaults_name_the_fields() -> None:
    found = problems(drop=("image_uri", "role", "output_path"))
    assert {problem.field for problem in found} == {"image_uri", "role", "output_path"}
    assert all("no default" in problem.rule for problem in found)


def test_unreadable_buckets_are_reported_per_field() -> None:
    defaults = PlatformDefaults(readable_buckets=("training-data",), writable_buckets=("artifacts",))
    found = problems(
        {
            "inputs": {"train": "s3://training-data/t", "extra": "s3://elsewhere/x"},
            "model_uri": "s3://artifacts/old/model.tar.gz",
            "output_path": "s3://other-out/x",
            "checkpoint_s3_uri": "s3://elsewhere/ck",
            "tensorboard_output_config": {"s3_output_path": "s3://elsewhere/tb"},
            "debugger_hook_config": {"s3_output_path": "s3://elsewhere/dbg"},
            "profiler_config": {"s3_output_path": "s3://elsewhere/prof"},
        },
        defaults=defaults,
    )
    assert {problem.field: problem.rule.split(";")[0] for problem in found} == {
        "inputs.extra": "the execution role cannot read this bucket",
        "output_path": "the execution role cannot write to this bucket",
        "checkpoint_s3_uri": "the execution role cannot write to this bucket",
        "tensorboard_output_config.s3_output_path": "the execution role cannot write to this bucket",
        "debugger_hook_config.s3_output_path": "the execution role cannot write to this bucket",
        "profiler_config.s3_output_path": "the execution role cannot write to this bucket",
    }


def test_reachable_buckets_pass() -> None:
    defaults = PlatformDefaults(readable_buckets=("training-data",), writable_buckets=("artifacts",))
    job = build_training_job(
        {**BASE, "inputs": "s3://training-data/t", "model_uri": "s3://artifacts/m.tar.gz"},
        region="eu-west-1",
        defaults=defaults,
        now=NOW,
    )

    # Read from a readable bucket and from a writable one (an earlier job's model), written to a writable one.
    channels = {
        channel["ChannelName"]: channel["DataSource"]["S3DataSource"]["S3Uri"]
        for channel in job.request["InputDataConfig"]
    }
    assert channels == {"training": "s3://training-data/t", "model": "s3://artifacts/m.tar.gz"}
    assert job.request["OutputDataConfig"]["S3OutputPath"] == "s3://artifacts/out"


def test_several_problems_are_reported_together() -> None:
    found = problems(
        {
            "instance_type": "ml.bogus",
            "max_retry_attempts": 99,
            "inputs": {"train": "file:///x"},
            "use_spot_instances": True,
            "job_name": "x" * 70,
            "colour": "blue",
        }
    )
    assert {problem.field for problem in found} >= {
        "instance_type",
        "max_retry_attempts",
        "inputs.train",
        "max_wait",
        "job_name",
        "colour",
    }
    with pytest.raises(InvalidTrainingInput) as caught:
        build_training_job({**BASE, "instance_type": "ml.bogus", "volume_size": -1}, region="eu-west-1")
    assert len(str(caught.value).splitlines()) == 2


def test_problem_text_names_field_rule_and_value() -> None:
    text = str(the_problem({"max_retry_attempts": 31}))
    assert text.startswith("max_retry_attempts: must be between 1 and 30") and text.endswith("(got 31)")


def test_huge_values_are_shortened_in_problems() -> None:
    found = the_problem({"job_name": "j" * 100_000})
    assert len(repr(found.value)) < 100 and len(str(found)) < 300


def test_defaults_from_mapping_rejects_bad_shapes() -> None:
    with pytest.raises(InvalidTrainingInput) as caught:
        PlatformDefaults.from_mapping({"role_arn": 5, "readable_bucket": ["x"], "writable_buckets": "artifacts"})
    assert {problem.field for problem in caught.value.problems} == {
        "defaults.role_arn",
        "defaults.readable_bucket",
        "defaults.writable_buckets",
    }
    with pytest.raises(InvalidTrainingInput):
        PlatformDefaults.from_mapping([])


def test_botocore_model_is_the_final_safety_net() -> None:
    from training_request.errors import Problems
    from training_request.validation import check_request

    found = Problems()
    check_request(
        found,
        {
            "TrainingJobName": 5,
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
            "Extra": 1,
        },
    )
    with pytest.raises(InvalidTrainingInput) as caught:
        found.raise_if_any()
    rules = " ".join(problem.rule for problem in caught.value.problems)
    assert "TrainingJobName" in rules and "Extra" in rules


def test_every_rendered_request_passes_botocore_validation() -> None:
    from botocore.validate import ParamValidator

    from training_request.validation import create_training_job_shape

    request = build_training_job(
        {
            **BASE,
            "inputs": {"a": "s3://d/a", "b": {"s3_data": "s3://d/b", "shuffle_config": {"seed": 1}}},
            "use_spot_instances": True,
            "max_wait": 90000,
            "rules": [{"rule": "overfit"}, {"profiler_rule": "ProfilerReport"}],
            "tags": {"team": "x"},
            "hyperparameters": {"lr": 0.1},
            "environment": {"A": "1"},
        },
        region="eu-west-1",
        now=NOW,
    ).request
    assert not ParamValidator().validate(request, create_training_job_shape()).has_errors()


def test_importing_the_package_does_not_load_botocore() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys; import training_request; print('botocore' in sys.modules)"
    lambda_dir = Path(__file__).resolve().parents[2] / "lambda"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=lambda_dir, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "False"


def test_values_that_may_be_secrets_are_never_shown() -> None:
    # Error messages reach the Lambda's log group and the execution history: name the field, not the value.
    secret = "hunter2-" + "p" * 600
    found = problems({"environment": {"DB_PASSWORD": secret}, "hyperparameters": {"api_key": "s3cr3t" + "x" * 2600}})
    message = str(InvalidTrainingInput(found))
    assert "environment.DB_PASSWORD: must be at most 512 characters long, not 608" in message
    assert "hyperparameters.api_key" in message
    assert "hunter2" not in message and "s3cr3t" not in message
    assert "value hidden" in message


PLATFORM_REPOSITORY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mltrain-training"
SHARED_REPOSITORY = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared/base"
PULLABLE = PlatformDefaults(image_repositories=(PLATFORM_REPOSITORY, SHARED_REPOSITORY))


@pytest.mark.parametrize(
    "image_uri",
    [f"{PLATFORM_REPOSITORY}:latest", f"{PLATFORM_REPOSITORY}@sha256:" + "0" * 64, f"{SHARED_REPOSITORY}:v2"],
)
def test_images_of_repositories_the_role_may_pull_are_accepted(image_uri: str) -> None:
    job = build_training_job({**BASE, "image_uri": image_uri}, region="eu-west-1", defaults=PULLABLE, now=NOW)
    assert job.request["AlgorithmSpecification"]["TrainingImage"] == image_uri


@pytest.mark.parametrize(
    "image_uri",
    [
        "999999999999.dkr.ecr.eu-west-1.amazonaws.com/mltrain-training:latest",  # same name, another account
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/other:latest",
        "111122223333.dkr.ecr.us-east-1.amazonaws.com/mltrain-training:latest",  # another region
    ],
)
def test_an_image_the_role_cannot_pull_is_refused_naming_the_setting(image_uri: str) -> None:
    problem = the_problem({"image_uri": image_uri}, defaults=PULLABLE)
    assert problem.field == "image_uri"
    assert "cannot pull from this repository" in problem.rule
    assert PLATFORM_REPOSITORY in problem.rule and "extra_image_repositories" in problem.rule


def test_an_image_in_a_private_registry_reached_from_the_vpc_is_not_an_ecr_pull() -> None:
    private = {
        "image_uri": "registry.example.internal:5000/team/trainer:1",
        "training_repository_access_mode": "Vpc",
        "subnets": ["subnet-0123456789abcdef0"],
        "security_group_ids": ["sg-0123456789abcdef0"],
    }
    job = build_training_job({**BASE, **private}, region="eu-west-1", defaults=PULLABLE, now=NOW)
    assert job.request["AlgorithmSpecification"]["TrainingImageConfig"] == {"TrainingRepositoryAccessMode": "Vpc"}
    problem = the_problem({**private, "training_repository_access_mode": "Platform"}, defaults=PULLABLE)
    assert (problem.field, "cannot pull from this repository" in problem.rule) == ("image_uri", True)


def test_without_the_stacks_repositories_any_image_is_accepted() -> None:
    image_uri = "999999999999.dkr.ecr.eu-west-1.amazonaws.com/anything:latest"
    job = build_training_job({**BASE, "image_uri": image_uri}, region="eu-west-1", now=NOW)
    assert job.request["AlgorithmSpecification"]["TrainingImage"] == image_uri


def test_the_pullable_repositories_come_from_the_lambdas_environment() -> None:
    environ = {"IMAGE_REPOSITORIES": f"{PLATFORM_REPOSITORY}, {SHARED_REPOSITORY}"}
    assert PlatformDefaults.from_environment(environ).image_repositories == (PLATFORM_REPOSITORY, SHARED_REPOSITORY)
    assert PlatformDefaults.from_environment({}).image_repositories is None
