"""The oracle itself: it runs the real SDK offline, shut off from everything but its arguments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .cases import CASES, ParityCase
from .compare import botocore_problems
from .sdk_oracle import ESTIMATOR_KEYS, FIT_KEYS, sdk_request


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_oracle_request_is_what_boto3_accepts(case: ParityCase, sdk) -> None:
    """The oracle itself: the SDK's request for a parity case is a valid boto3 call."""
    request = sdk(case.execution_input, region=case.region)
    assert botocore_problems(request) == ""
    assert request["RoleArn"] == case.execution_input["role"]
    assert request["AlgorithmSpecification"]["TrainingImage"] == case.execution_input["image_uri"]


def test_oracle_ignores_config_files_and_studio_project_tags(tmp_path: Path, monkeypatch) -> None:
    """A user's SDK defaults file and a `.sagemaker-code-config` would change the SDK's request:
    the oracle must not see them."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "SchemaVersion: '1.0'\n"
        "SageMaker:\n"
        "  TrainingJob:\n"
        "    EnableNetworkIsolation: true\n"
        "    Tags:\n"
        "    - Key: from-config-file\n"
        "      Value: 'yes'\n"
    )
    (tmp_path / ".sagemaker-code-config").write_text('{"sagemakerProjectId": "p-1", "sagemakerProjectName": "leaked"}')
    monkeypatch.setenv("SAGEMAKER_USER_CONFIG_OVERRIDE", str(config))
    monkeypatch.chdir(tmp_path)
    case = CASES[0]

    request = sdk_request(case.execution_input, region=case.region)

    assert "Tags" not in request
    assert "EnableNetworkIsolation" not in request
    assert os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] == str(config)  # restored afterwards
    assert Path.cwd() == tmp_path


# The keys each helper-object form of an execution input takes (the SDK class's keyword arguments).
INPUT_FORMS = {
    "TrainingInput": {
        "s3_data",
        "distribution",
        "compression",
        "content_type",
        "record_wrapping",
        "s3_data_type",
        "input_mode",
        "attribute_names",
        "instance_groups",
        "shuffle_config",
    },  # target_attribute_name: the SDK sends a key the API lacks; see test_deliberate_differences
    "FileSystemInput": {
        "file_system_id",
        "file_system_type",
        "directory_path",
        "file_system_access_mode",
        "content_type",
    },
    "ShuffleConfig": {"seed"},
    "TensorBoardOutputConfig": {"s3_output_path", "container_local_output_path"},
    "DebuggerHookConfig": {
        "s3_output_path",
        "container_local_output_path",
        "hook_parameters",
        "collection_configs",
    },
    "CollectionConfig": {"name", "parameters"},
    "ProfilerConfig": {"s3_output_path", "system_monitor_interval_millis", "disable_profiler"},
    "Rule": {"rule", "rule_parameters"},
    "ProfilerRule": {"profiler_rule"},
}


def _keys_used() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {form: set() for form in INPUT_FORMS}
    used["top level"] = set()

    def channel(value: object) -> None:
        if isinstance(value, dict) and "s3_data" in value:
            used["TrainingInput"] |= set(value)
            used["ShuffleConfig"] |= set(value.get("shuffle_config") or {})
        elif isinstance(value, dict) and "file_system_id" in value:
            used["FileSystemInput"] |= set(value)

    for case in CASES:
        execution_input = case.execution_input
        used["top level"] |= set(execution_input)
        inputs = execution_input.get("inputs")
        if isinstance(inputs, dict) and not ({"s3_data", "file_system_id"} & set(inputs)):
            for value in inputs.values():
                channel(value)
        else:
            channel(inputs)
        used["TensorBoardOutputConfig"] |= set(execution_input.get("tensorboard_output_config") or {})
        hook = execution_input.get("debugger_hook_config") or {}
        used["DebuggerHookConfig"] |= set(hook)
        for collection in hook.get("collection_configs", []):
            used["CollectionConfig"] |= set(collection)
        used["ProfilerConfig"] |= set(execution_input.get("profiler_config") or {})
        for rule in execution_input.get("rules", []):
            used["ProfilerRule" if "profiler_rule" in rule else "Rule"] |= set(rule)
    return used


# Arguments no valid input gives, so no parity case can: the platform refuses them (the SDK would run git on
# this machine); test_deliberate_differences shows each refusal.
REFUSED_ARGUMENTS = frozenset({"git_config"})


def test_cases_cover_every_parameter_and_helper_object_key() -> None:
    used = _keys_used()
    assert not (ESTIMATOR_KEYS | FIT_KEYS) - REFUSED_ARGUMENTS - used["top level"]
    for form, keys in INPUT_FORMS.items():
        assert not keys - used[form], f"no case uses {form} keys {sorted(keys - used[form])}"


def test_cases_cover_both_forms_of_tags_inputs_and_the_hook() -> None:
    values = [case.execution_input for case in CASES]
    assert any(isinstance(v.get("tags"), list) for v in values)
    assert any(isinstance(v.get("tags"), dict) for v in values)
    assert any(isinstance(v.get("inputs"), str) for v in values)
    assert any(v.get("debugger_hook_config") is False for v in values)
    assert any(v.get("input_mode") == "Pipe" for v in values)
    assert any(v.get("input_mode") == "FastFile" for v in values)
    assert len(CASES) >= 40
