"""`trainctl render` / `validate`: exit codes, streams, the one error style, and never a traceback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from trainctl.cli import main

ROOT = Path(__file__).resolve().parents[2]
VALID = {
    "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan:latest",
    "role": "arn:aws:iam::123456789012:role/r",
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "output_path": "s3://artifacts/out",
    "inputs": "s3://data/train",
}
NOW = "2024-05-06T07:08:09.010Z"


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, data: object, name: str = "input.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_render_prints_the_request_json(tmp_path: Path) -> None:
    code, out, err = run(["render", write(tmp_path, VALID), "--now", NOW])
    request = json.loads(out)
    assert (code, err) == (0, "")
    assert request["TrainingJobName"] == "gan-2024-05-06-07-08-09-010"
    assert request["InputDataConfig"][0]["ChannelName"] == "training"


def test_region_defaults_to_eu_west_1_and_can_change(tmp_path: Path) -> None:
    data = {**VALID, "rules": [{"rule": "overfit"}]}
    _, out, _ = run(["render", write(tmp_path, data)])
    assert ".eu-west-1.amazonaws.com/" in json.loads(out)["DebugRuleConfigurations"][0]["RuleEvaluatorImage"]
    _, out, _ = run(["render", write(tmp_path, data), "--region", "us-east-1"])
    assert ".us-east-1.amazonaws.com/" in json.loads(out)["DebugRuleConfigurations"][0]["RuleEvaluatorImage"]


def test_defaults_file_fills_omitted_values(tmp_path: Path) -> None:
    defaults = write(
        tmp_path,
        {
            "role_arn": "arn:aws:iam::123456789012:role/platform",
            "image_uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform:1",
            "output_path": "s3://platform-artifacts/",
        },
        "defaults.json",
    )
    code, out, _ = run(
        ["render", write(tmp_path, {"instance_count": 1, "instance_type": "ml.m5.large"}), "--defaults", defaults]
    )
    assert code == 0 and json.loads(out)["RoleArn"] == "arn:aws:iam::123456789012:role/platform"


def test_defaults_file_bucket_lists_turn_on_the_reachability_check(tmp_path: Path) -> None:
    defaults = write(tmp_path, {"readable_buckets": ["data-only"], "writable_buckets": ["artifacts"]}, "defaults.json")
    code, out, err = run(["validate", write(tmp_path, VALID), "--defaults", defaults])
    assert (code, out) == (2, "") and "inputs: the execution role cannot read this bucket" in err


def test_bad_defaults_file_names_the_field(tmp_path: Path) -> None:
    defaults = write(tmp_path, {"role": "x"}, "d.json")
    code, _, err = run(["validate", write(tmp_path, VALID), "--defaults", defaults])
    assert code == 2
    assert err.splitlines() == [
        f"error: {defaults}: invalid defaults file (1 problem):",
        "  defaults.role: unknown key; did you mean 'role_arn'? (got 'x')",
    ]


def test_a_partial_defaults_file_leaves_the_rest_to_stand_ins(tmp_path: Path) -> None:
    # Each key of DEFAULTS.json is optional; the bucket lists alone turn on the reach check.
    defaults = write(tmp_path, {"readable_buckets": ["data"], "writable_buckets": ["artifacts"]}, "defaults.json")
    console_input = {"instance_count": 1, "instance_type": "ml.m5.large", "inputs": "s3://elsewhere/train"}
    code, _, err = run(["validate", write(tmp_path, console_input), "--defaults", defaults])
    assert code == 2 and "invalid training input (1 problem):" in err
    assert "inputs: the execution role cannot read this bucket; readable buckets: data, artifacts" in err
    assert "not in the defaults file: role, image_uri, output_path left to the stack" in err


@pytest.mark.parametrize("command", ["render", "validate"])
def test_invalid_input_lists_each_problem_on_its_own_line(tmp_path: Path, command: str) -> None:
    path = write(tmp_path, {**VALID, "instance_type": "ml.m5.xlarg", "max_retry_attempts": 40})
    code, out, err = run([command, path])
    lines = err.splitlines()
    assert (code, out) == (2, "")
    assert lines[0] == f"error: {path}: invalid training input (2 problems):"
    assert lines[1].startswith("  instance_type: ") and lines[2].startswith(
        "  max_retry_attempts: must be between 1 and 30"
    )
    assert len(lines) == 3


def test_validate_says_valid(tmp_path: Path) -> None:
    code, out, err = run(["validate", write(tmp_path, VALID), "--now", NOW])
    assert (code, err) == (0, "") and "valid" in out and "gan-2024-05-06-07-08-09-010" in out


def test_stdin_input() -> None:
    code, out, _ = run(["render", "-", "--now", NOW], stdin=json.dumps(VALID))
    assert code == 0 and json.loads(out)["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"


@pytest.mark.parametrize(("content", "message"), [("{", "not valid JSON"), ("[1, 2", "not valid JSON"), ("\xff", None)])
def test_bad_json_is_one_clear_line(tmp_path: Path, content: str, message: str | None) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content.encode("latin-1"))
    code, out, err = run(["validate", str(path)])
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and err.startswith(f"error: {path}: ")
    assert message is None or message in err


@pytest.mark.parametrize("content", ["", " \n\t\n"])
def test_an_empty_file_is_said_to_be_empty(tmp_path: Path, content: str) -> None:
    path = tmp_path / "input.json"
    path.write_text(content)
    code, out, err = run(["validate", str(path)])
    assert (code, out, err) == (2, "", f"error: {path}: is empty: expected a JSON object\n")
    code, _, err = run(["render", "-"], stdin=content)
    assert (code, err) == (2, "error: -: is empty: expected a JSON object\n")
    defaults = tmp_path / "defaults.json"
    defaults.write_text(content)
    code, _, err = run(["validate", write(tmp_path, VALID), "--defaults", str(defaults)])
    assert (code, err) == (2, f"error: {defaults}: is empty: expected a JSON object\n")


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    code, _, err = run(["render", str(tmp_path / "absent.json")])
    assert (code, err) == (2, f"error: {tmp_path / 'absent.json'}: cannot read the file: No such file or directory\n")


def test_bad_now_option(tmp_path: Path) -> None:
    code, _, err = run(["render", write(tmp_path, VALID), "--now", "yesterday"])
    assert code == 2 and "--now" in err


def test_module_entry_point_never_shows_a_traceback(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    huge = tmp_path / "huge.json"
    huge.write_text('{"instance_count": ' + "9" * 5000 + "}")
    for path in (deep, huge):
        result = subprocess.run(
            [sys.executable, "-m", "trainctl", "validate", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr and result.stderr.strip()
    result = subprocess.run(
        [sys.executable, "-m", "trainctl", "render", "-"],
        input="[",
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "-: not valid JSON" in result.stderr and "Traceback" not in result.stderr


def test_without_defaults_the_stack_values_are_stand_ins_and_said_so(tmp_path: Path) -> None:
    # A console input leaves role, image and output path to the stack: it still renders and validates offline.
    console_input = {"instance_count": 1, "instance_type": "ml.m5.large", "inputs": "s3://data/train"}
    code, out, err = run(["render", write(tmp_path, console_input), "--region", "us-east-1"])
    request = json.loads(out)
    assert code == 0
    assert err == (
        "note: no --defaults: role, image_uri, output_path left to the stack, shown as stand-ins "
        "(give them in --defaults DEFAULTS.json for the deployed values)\n"
    )
    assert request["RoleArn"].endswith(":role/stack-execution-role")
    assert request["AlgorithmSpecification"]["TrainingImage"].startswith(
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/"
    )
    code, out, err = run(["validate", write(tmp_path, VALID)])
    assert (code, err) == (0, "") and "valid" in out


def test_one_problem_is_counted_in_the_singular(tmp_path: Path) -> None:
    code, _, err = run(["validate", write(tmp_path, {**VALID, "instance_count": 0})])
    assert code == 2 and "invalid training input (1 problem):" in err


TUNING = {
    **VALID,
    "tuner": {
        "objective_metric_name": "loss",
        "metric_definitions": [{"Name": "loss", "Regex": "loss=(.*?);"}],
        "hyperparameter_ranges": {"lr": {"type": "Continuous", "min_value": 0.001, "max_value": 0.1}},
    },
}


def test_render_prints_the_tuning_request_for_a_tuning_input(tmp_path: Path) -> None:
    code, out, err = run(["render", write(tmp_path, TUNING), "--now", NOW])
    request = json.loads(out)
    assert (code, err) == (0, "")
    assert request["HyperParameterTuningJobName"] == "gan-240506-070809-010"
    assert request["TrainingJobDefinition"]["InputDataConfig"][0]["ChannelName"] == "training"
    assert request["Tags"] == [{"Key": "CER", "Value": "1"}]


def test_validate_says_a_tuning_input_is_valid_and_names_its_tuning_job(tmp_path: Path) -> None:
    path = write(tmp_path, {**TUNING, "job_name": "gan-hpo-1"})
    assert run(["validate", path]) == (0, f"{path}: valid (tuning job gan-hpo-1, wait=true)\n", "")


@pytest.mark.parametrize("command", ["render", "validate"])
def test_an_invalid_tuning_input_lists_each_problem_and_exits_2(tmp_path: Path, command: str) -> None:
    bad = {**TUNING, "rules": [{"rule": "overfit"}], "tuner": {**TUNING["tuner"], "strategy": "Grid"}}
    code, out, err = run([command, write(tmp_path, bad)])
    assert (code, out) == (2, "")
    assert "invalid tuning input" in err
    assert "\n  rules: does not apply to a tuning request" in err
    assert "\n  tuner.hyperparameter_ranges.lr: must not be a Continuous range with the Grid strategy" in err
    assert "Traceback" not in err
