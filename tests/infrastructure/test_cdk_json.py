"""cdk.json keeps the CDK CLI quiet and offline wherever it runs, not only under the Makefile."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from app import PROJECT_ROOT, cdk_json_context
from stacks.settings import PlatformSettings, SettingsError

CDK_JSON = json.loads((PROJECT_ROOT / "cdk.json").read_text())


def test_cdk_json_turns_notices_and_version_reporting_off() -> None:
    assert CDK_JSON["notices"] is False
    assert CDK_JSON["versionReporting"] is False


def test_cdk_json_turns_cli_telemetry_off() -> None:
    # versionReporting does not cover the CLI's telemetry: only this context key (or the variable) does.
    assert CDK_JSON["context"]["cli-telemetry"] is False


def test_the_cli_reports_telemetry_disabled_without_the_makefiles_variable(tmp_path: Path, offline_cdk_env) -> None:
    env = offline_cdk_env(tmp_path)
    del env["CDK_DISABLE_CLI_TELEMETRY"]
    result = subprocess.run(
        ["npx", "--no-install", "cdk", "cli-telemetry", "--status"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "CLI Telemetry is disabled" in output, output


def test_the_cli_telemetry_key_is_not_taken_for_a_misspelt_setting() -> None:
    PlatformSettings.from_context(cdk_json_context())  # cdk.json, cli-telemetry included, is accepted
    with pytest.raises(SettingsError) as caught:
        PlatformSettings.from_context({**cdk_json_context(), "cli_telemetry": False})
    assert caught.value.problems == [caught.value.problems[0]]
    assert caught.value.problems[0].startswith("cli_telemetry: unknown setting")


def test_the_makefile_turns_the_clis_version_check_off() -> None:
    # The CLI asks npm for a newer release whenever its output is a terminal (make synth, make deploy);
    # only this variable stops it, cdk.json cannot.
    database = subprocess.run(
        ["make", "--no-print-directory", "-p", "-n", "clean"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "CDK_DISABLE_VERSION_CHECK := 1" in database.splitlines()
