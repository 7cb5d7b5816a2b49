"""The whole command line as users run it (`python -m trainctl`): every command listed with its
one-line help, and platform errors as one line on stderr, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from emulator import client_environment

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("render", "validate", "start", "logs", "status", "list", "stop")


def trainctl(*argv: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trainctl", *argv], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_help_lists_every_command_with_a_one_line_description() -> None:
    result = trainctl("--help")
    assert result.returncode == 0
    listed = {line.split()[0]: line.split(None, 1)[1] for line in result.stdout.splitlines()
              if line.startswith("    ") and line.split()[0] in COMMANDS}
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
        assert result.stderr.startswith("error: Could not connect to the endpoint URL") and len(result.stderr.splitlines()) == 1

