"""Script mode from the console or an event: the code must be a tar.gz in S3; every local form is an error
naming the field and saying what to do. (What a valid input becomes is held against the SDK in tests/parity.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from training_request import InvalidTrainingInput, PlatformDefaults, Problem, build_training_job

NOW = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
ARCHIVE = "s3://team-code/gan/sourcedir.tar.gz"
SCRIPT = {
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:latest",
    "role": "arn:aws:iam::123456789012:role/sagemaker-execution",
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "output_path": "s3://artifacts/out",
    "job_name": "gan-script",
    "entry_point": "train.py",
    "source_dir": ARCHIVE,
}


def build(defaults: PlatformDefaults = PlatformDefaults(), **extra: object) -> dict:
    data = {key: value for key, value in {**SCRIPT, **extra}.items() if value is not None}
    return build_training_job(data, region="eu-west-1", defaults=defaults, now=NOW).request


def problems(**extra: object) -> list[Problem]:
    with pytest.raises(InvalidTrainingInput) as caught:
        build(**extra)
    return caught.value.problems


def fields(**extra: object) -> dict[str, str]:
    return {problem.field: problem.rule for problem in problems(**extra)}


def test_the_container_is_told_where_the_code_is_and_what_to_run() -> None:
    hyperparameters = build(hyperparameters={"lr": 0.1, "model": "pix2pix"})["HyperParameters"]
    assert hyperparameters == {
        "lr": "0.1",
        "model": '"pix2pix"',
        "sagemaker_submit_directory": json.dumps(ARCHIVE),
        "sagemaker_program": '"train.py"',
        "sagemaker_container_log_level": "20",
        "sagemaker_job_name": '"gan-script"',
        "sagemaker_region": '"eu-west-1"',
    }


@pytest.mark.parametrize("local", ["src", "./src", "/home/me/gan/src", "file:///home/me/gan/src"])
def test_a_local_source_dir_says_how_to_upload_it(local: str) -> None:
    rule = fields(source_dir=local)["source_dir"]
    assert "is a local directory" in rule and "give its s3:// URI as source_dir" in rule and "trainctl start" in rule


def test_an_entry_point_alone_is_a_local_file() -> None:
    found = fields(source_dir=None)
    assert list(found) == ["entry_point"]
    assert "names a file on your machine" in found["entry_point"]


@pytest.mark.parametrize("path", ["src/train.py", "/opt/ml/code/train.py", "..", "src\\train.py"])
def test_an_entry_point_with_directories_must_be_a_name_at_the_archives_root(path: str) -> None:
    assert "at the root of the source_dir archive" in fields(entry_point=path)["entry_point"]


def test_source_dir_without_entry_point() -> None:
    assert "is required with source_dir" in fields(entry_point=None)["entry_point"]


@pytest.mark.parametrize("uri", ["s3://team-code/gan/", "s3://team-code/gan/code.zip", "s3://team-code"])
def test_an_s3_source_dir_must_be_a_tar_gz(uri: str) -> None:
    assert "tar.gz archive" in fields(source_dir=uri)["source_dir"]


def test_dependencies_go_into_the_archive() -> None:
    assert "put them into the source_dir archive" in fields(dependencies=["libs/common"])["dependencies"]
    assert "must be a list" in fields(dependencies="libs")["dependencies"]
    assert build(dependencies=[])["HyperParameters"]["sagemaker_program"] == '"train.py"'


def test_git_config_is_refused_in_any_form() -> None:
    assert "clones no repository" in fields(git_config={"repo": "https://example.com/gan.git"})["git_config"]


@pytest.mark.parametrize(("level", "sent"), [(10, "10"), (0, "0"), (50, "50")])
def test_container_log_level_is_a_logging_level(level: int, sent: str) -> None:
    assert build(container_log_level=level)["HyperParameters"]["sagemaker_container_log_level"] == sent


@pytest.mark.parametrize("level", [15, -1, "DEBUG", 10.0])
def test_container_log_level_outside_the_logging_levels(level: object) -> None:
    assert "container_log_level" in fields(container_log_level=level)


def test_container_log_level_alone_changes_nothing_as_in_the_sdk() -> None:
    plain = {key: value for key, value in SCRIPT.items() if key not in ("entry_point", "source_dir")}
    request = build_training_job({**plain, "container_log_level": 10}, region="eu-west-1", now=NOW).request
    assert "HyperParameters" not in request


def test_code_location_must_be_s3_and_changes_nothing() -> None:
    assert "S3 URI" in fields(code_location="/tmp/code")["code_location"]
    assert build(code_location="s3://team-code/uploads") == build()


def test_network_isolation_brings_the_code_as_a_channel() -> None:
    request = build(enable_network_isolation=True, inputs={"train": "s3://data/train"})
    assert request["HyperParameters"]["sagemaker_submit_directory"] == '"/opt/ml/input/data/code/sourcedir.tar.gz"'
    assert [channel["ChannelName"] for channel in request["InputDataConfig"]] == ["train", "code"]
    assert request["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"] == ARCHIVE


def test_network_isolation_with_an_input_channel_named_code() -> None:
    found = fields(enable_network_isolation=True, inputs={"code": "s3://data/code"})
    assert "a channel named 'code'" in found["source_dir"]


def test_the_execution_role_must_reach_the_archive() -> None:
    defaults = PlatformDefaults(readable_buckets=("data",), writable_buckets=("artifacts",))
    with pytest.raises(InvalidTrainingInput) as caught:
        build(defaults=defaults)
    assert [problem.field for problem in caught.value.problems] == ["source_dir"]


def test_every_problem_of_a_notebook_pasted_as_it_is_is_reported_at_once() -> None:
    found = fields(
        entry_point="code/train.py",
        source_dir="code",
        dependencies=["libs"],
        git_config={"repo": "https://example.com/gan.git"},
        container_log_level="INFO",
    )
    assert set(found) == {"entry_point", "source_dir", "dependencies", "git_config", "container_log_level"}
