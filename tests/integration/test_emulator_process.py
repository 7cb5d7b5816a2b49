"""The emulator's own processes: stopping it (its Lambda subprocesses included, never a stranger named
by a stale pid file), the demo leaving a kept emulator alone, and a hung CDK CLI timing out."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from execution_waits import wait_for

from emulator import demo, endpoint_url, process
from emulator.deployment import CdkRunner, DeploymentError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_group(group: int) -> set[int]:
    """The pids of the processes in process group `group` (Linux /proc)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) == group and fields[0] != "Z":
            members.add(int(stat.parent.name))
    return members


def client(port: int, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url(port),
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc")
def test_stop_ends_the_server_and_its_running_lambdas_and_removes_the_work_dir(tmp_path: Path) -> None:
    port = free_port()
    pid = process.start(port, tmp_path)
    try:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
            ],
        }
        role = client(port, "iam").create_role(RoleName="sleeper", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
            "Arn"
        ]
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("index.py", "import time\ndef handler(event, context):\n    time.sleep(120)\n")
        function = client(port, "lambda").create_function(
            FunctionName="sleeper",
            Runtime="python3.11",
            Role=role,
            Handler="index.handler",
            Timeout=300,
            Code={"ZipFile": package.getvalue()},
        )["FunctionArn"]
        events = client(port, "events")
        events.put_rule(Name="wake", EventPattern=json.dumps({"source": ["test"]}))
        events.put_targets(Rule="wake", Targets=[{"Id": "sleeper", "Arn": function}])
        events.put_events(Entries=[{"Source": "test", "DetailType": "wake", "Detail": "{}"}])
        running = wait_for(lambda: process_group(pid) - {pid}, timeout=60)  # the sleeping Lambda's process
        assert (tmp_path / f"work-{port}").is_dir()
    finally:
        assert process.stop_and_remove_work_dir(port, tmp_path)
    assert not process.is_serving(port)
    assert wait_for(lambda: not process_group(pid), timeout=30), f"left running: {running}"
    assert not (tmp_path / f"work-{port}").exists()


def test_a_stale_pid_file_naming_another_process_stops_nothing(tmp_path: Path) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        port = free_port()
        files = process.EmulatorFiles(port, tmp_path)
        files.pid_file.write_text(
            str(stranger.pid)
        )  # as a crash or reboot leaves it: the pid now names another process
        assert process.running_pid(files) is None
        assert process.stop(port, tmp_path) is False
        assert stranger.poll() is None
        assert not files.pid_file.exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_the_demo_leaves_an_emulator_it_did_not_start_running(
    emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main(["--port", str(emulator.port)]) == 1
    assert f"already serves {emulator.endpoint}" in capsys.readouterr().err
    assert emulator.client("sts").get_caller_identity()["Account"]  # still up and answering


def test_a_hung_cdk_cli_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    # Like npx, the hung "CLI" has a child that holds its output pipes: both must be ended.
    hung = (
        sys.executable,
        "-c",
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); print('deploying', flush=True); "
        "time.sleep(60)",
    )
    runner = CdkRunner(free_port(), tmp_path, timeout_seconds=2, command=hung)
    started = time.monotonic()
    with pytest.raises(
        DeploymentError, match=r"`cdk deploy --all --require-approval never` did not finish in 2 s"
    ) as error:
        runner.deploy()
    assert time.monotonic() - started < 30  # the hung "CLI" would run 60 s
    assert "deploying" in str(error.value)
