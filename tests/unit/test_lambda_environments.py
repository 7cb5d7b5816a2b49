"""The emulator's Lambda execution environments (emulator/lambda_environments.py) without the emulator:
what cannot be arranged through the Lambda API (an init slower than the init limit, the emulator
shutting down during an invocation)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import lambda_environments
from emulator.adapters.lambda_functions import lambda_runtime_library
from emulator.lambda_environments import LambdaEnvironments
from emulator.lambda_execution_environment import FunctionConfiguration

_SOURCE = """
import os, subprocess, time
time.sleep(float(os.environ.get("INIT_SECONDS", "0")))
def handler(event, context):
    if event.get("child_pid_file"):
        child = subprocess.Popen(["sleep", "60"])
        with open(event["child_pid_file"], "w") as pid_file:
            pid_file.write(str(child.pid))
    time.sleep(event.get("sleep", 0))
    return "done"
"""


class RecordedLogs:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def put(self, configuration: FunctionConfiguration, stream: str, timestamp_ms: int, message: str) -> None:
        self.messages.append(message)


@pytest.fixture
def function(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    code = tmp_path / "code"
    code.mkdir()
    (code / "index.py").write_text(_SOURCE)
    yield code, lambda_runtime_library(tmp_path / "library")


def configuration(code: Path, timeout: float, **environment: str) -> FunctionConfiguration:
    return FunctionConfiguration(
        name="fn",
        arn="arn:aws:lambda:eu-west-1:123456789012:function:fn",
        account_id="123456789012",
        region="eu-west-1",
        version="$LATEST",
        handler="index.handler",
        code_dir=code,
        environment=tuple(sorted({"PATH": "/usr/bin:/bin", **environment}.items())),
        timeout=timeout,
        memory_size=128,
        log_group="/aws/lambda/fn",
    )


def test_an_init_slower_than_the_init_limit_is_retried_within_the_invocation(
    function: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, library = function
    monkeypatch.setattr(lambda_environments, "INIT_TIMEOUT_SECONDS", 0.5)
    logs = RecordedLogs()
    environments = LambdaEnvironments(library, logs, concurrency=1)
    try:
        invocation = environments.invoke(configuration(code, timeout=20, INIT_SECONDS="1.5"), "{}")
    finally:
        environments.shutdown()
    assert (invocation.function_error, json.loads(invocation.payload)) == (False, "done")
    timed_out = next(m for m in logs.messages if m.startswith("INIT_REPORT"))
    assert timed_out.endswith("Phase: init\tStatus: timeout")
    assert [m.split(" ")[0] for m in logs.messages].count("INIT_START") == 2


def test_stopping_the_emulator_kills_a_running_invocation_and_its_processes(
    function: tuple[Path, Path], tmp_path: Path
) -> None:
    code, library = function
    environments = LambdaEnvironments(library, RecordedLogs(), concurrency=1)
    pid_file = tmp_path / "child.pid"
    answers = []
    running = threading.Thread(
        target=lambda: answers.append(
            environments.invoke(
                configuration(code, timeout=60), json.dumps({"sleep": 60, "child_pid_file": str(pid_file)})
            )
        )
    )
    running.start()
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the handler never started its child"
        time.sleep(0.05)
    environments.shutdown()
    running.join(timeout=10)
    assert not running.is_alive()
    assert json.loads(answers[0].payload)["errorType"] == "Runtime.ExitError"
    child = Path(f"/proc/{pid_file.read_text()}/status")
    deadline = time.monotonic() + 15  # a killed process on a loaded machine may take a moment to go
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(child), child.read_text()


def gone(process_status: Path) -> bool:
    """Whether the process has ended (no longer listed, or a zombie waiting for its parent)."""
    try:
        return "\nState:\tZ" in process_status.read_text()
    except FileNotFoundError:
        return True


@pytest.mark.parametrize(("idle_seconds", "cold_starts"), [(300.0, 1), (0.0, 3)])
def test_environments_are_reused_unless_none_may_stay_idle(
    function: tuple[Path, Path], idle_seconds: float, cold_starts: int
) -> None:
    code, library = function
    logs = RecordedLogs()
    environments = LambdaEnvironments(library, logs, concurrency=1, idle_seconds=idle_seconds)
    try:
        for _ in range(3):
            environments.invoke(configuration(code, timeout=20), "{}")
    finally:
        environments.shutdown()
    assert [m.split(" ")[0] for m in logs.messages].count("INIT_START") == cold_starts
