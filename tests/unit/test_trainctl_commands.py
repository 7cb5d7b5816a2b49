"""The whole command line as users run it (`python -m trainctl`): every command listed with its
one-line help, and platform errors as one line on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import client_environment
from trainctl.reporting import invocation

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("render", "validate", "start", "logs", "status", "list", "stop")


def trainctl(*argv: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trainctl", *argv],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_every_command_with_a_one_line_description() -> None:
    result = trainctl("--help")
    assert result.returncode == 0
    listed = {
        line.split()[0]: line.split(None, 1)[1]
        for line in result.stdout.splitlines()
        if line.startswith("    ") and line.split()[0] in COMMANDS
    }
    assert set(listed) == set(COMMANDS)
    assert all(description.strip() for description in listed.values())


def test_an_unreachable_platform_is_one_line_and_exit_1() -> None:
    # Nothing listens on port 9: the connection is refused at once.
    environment = client_environment(9)
    environment["AWS_MAX_ATTEMPTS"] = "1"
    for argv in (("status", "some-job"), ("list",), ("stop", "some-job"), ("logs", "some-job")):
        result = trainctl(*argv, "--stack", "platform", env=environment)
        assert result.returncode == 1, result.stderr
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert (
            result.stderr.startswith("error: Could not connect to the endpoint URL")
            and len(result.stderr.splitlines()) == 1
        )


def without_the_sagemaker_sdk(tmp_path: Path) -> dict[str, str]:
    """An environment where `import sagemaker` fails, as where the optional SDK is not installed."""
    blocker = tmp_path / "blocked" / "sagemaker"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('the SageMaker SDK is not installed')\n")
    return {**os.environ, "PYTHONPATH": str(blocker.parent)}


def test_the_command_line_works_without_the_sagemaker_sdk(tmp_path: Path) -> None:
    environment = without_the_sagemaker_sdk(tmp_path)
    blocked = subprocess.run(
        [sys.executable, "-c", "import sagemaker"], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert "the SageMaker SDK is not installed" in blocked.stderr  # the block works
    assert trainctl("--help", env=environment).returncode == 0
    rendered = trainctl("render", "examples/minimal.json", env=environment)
    assert rendered.returncode == 0, rendered.stderr
    assert json.loads(rendered.stdout)["ResourceConfig"]["InstanceCount"] >= 1
    validated = trainctl("validate", "-", env=environment, stdin=(ROOT / "examples/minimal.json").read_text())
    assert validated.returncode == 0 and "valid" in validated.stdout, validated.stderr
    for command in ("start", "logs", "status", "list", "stop"):
        helped = trainctl(command, "--help", env=environment)
        assert helped.returncode == 0 and "--stack" in helped.stdout, helped.stderr
    # A platform command runs its whole AWS path (boto3, the platform API) without the SDK too.
    unreachable = {**client_environment(9, base=environment), "AWS_MAX_ATTEMPTS": "1"}
    listed = trainctl("list", "--stack", "platform", env=unreachable)
    assert listed.returncode == 1 and listed.stderr.startswith("error: Could not connect to the endpoint URL"), (
        listed.stderr
    )


def imported_modules(*argv: str) -> set[str]:
    """The top-level modules a trainctl command imports, from Python's own `-X importtime` report."""
    environment = {
        **client_environment(9),
        "AWS_MAX_ATTEMPTS": "1",
    }  # nothing listens: a platform command fails at once
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "trainctl", *argv],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}


def test_render_validate_and_help_do_not_load_boto3() -> None:
    assert "boto3" not in imported_modules("render", "examples/minimal.json")
    assert "boto3" not in imported_modules("validate", "examples/minimal.json")
    assert "boto3" not in imported_modules("--help")
    assert "boto3" in imported_modules("status", "x", "--stack", "platform")  # the check can see it


def test_list_limit_outside_1_to_1000_is_a_usage_error() -> None:
    for limit in ("0", "1001", "ten"):
        result = trainctl("list", "--limit", limit, "--stack", "platform")
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.startswith("error: argument --limit: ") and len(result.stderr.splitlines()) == 1, (
            result.stderr
        )
        assert result.stderr.rstrip().endswith(f"; see {invocation()} list --help")


@pytest.mark.parametrize(
    ("command", "argument"), [("status", "EXECUTION_OR_JOB"), ("stop", "EXECUTION_OR_JOB"), ("logs", "JOB")]
)
@pytest.mark.parametrize("reference", ["", "  "])
def test_an_empty_reference_is_one_line_naming_the_argument(command: str, argument: str, reference: str) -> None:
    # `trainctl status "$job"` with $job unset: said at once, before any AWS call (nothing listens on port 9).
    result = trainctl(command, reference, "--stack", "platform", env={**client_environment(9), "AWS_MAX_ATTEMPTS": "1"})
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr.startswith(f"error: argument {argument}: is empty: give ")
        and len(result.stderr.splitlines()) == 1
    ), result.stderr


def test_suggested_commands_name_the_interpreter_as_briefly_as_still_runs_it() -> None:
    venv_python = "/home/me/platform/.venv/bin/python"
    assert (
        invocation(venv_python, cwd="/home/me/platform", python_on_path="/usr/bin/python")
        == ".venv/bin/python -m trainctl"
    )
    assert (
        invocation(venv_python, cwd="/home/me/platform", python_on_path=venv_python) == "python -m trainctl"
    )  # activated
    assert invocation(venv_python, cwd="/tmp", python_on_path="/usr/bin/python") == f"{venv_python} -m trainctl"
    # A directory that merely starts with the same letters does not hold it.
    assert (
        invocation(venv_python, cwd="/home/me/platform/.ve", python_on_path="/usr/bin/python")
        == f"{venv_python} -m trainctl"
    )


def test_with_the_virtualenv_activated_the_suggestions_say_python_and_that_runs() -> None:
    activated = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    shown = trainctl("--help", env=activated)
    assert shown.stdout.startswith("usage: python -m trainctl "), shown.stdout
    again = subprocess.run(
        ["python", "-m", "trainctl", "--help"], cwd=ROOT, env=activated, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0 and again.stdout == shown.stdout
