"""`python -m trainctl` against the platform deployed in the emulator: the real CLI in a subprocess,
the real state machine and Prepare Lambda, the emulator's training jobs (emulator/training_jobs.py:
the `emulator_outcome` and `emulator_seconds` hyperparameters choose how and when a job ends).

Every test starts its own executions with a unique `run` hyperparameter (and unique job names where
it names one), so it does not depend on what other tests in the session started.
"""

from __future__ import annotations

import io
import json
import os
import pty
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from call_records import calls, find
from execution_waits import finished_execution, wait_for

from emulator.deployment import stack_outputs
from platform_contract import TrainingStackOutput

ROOT = Path(__file__).resolve().parents[2]
# How long a line may take to come: trainctl polls every 0.3 s, but a loaded 2-core machine (the suite may
# share it with another run) can take tens of seconds to run a Lambda.
LINE_TIMEOUT = 90.0
# A trainctl command, or a run of a short job to its end, on such a machine.
COMMAND_TIMEOUT = 180.0


def run_id() -> str:
    return uuid.uuid4().hex[:10]


@dataclass(frozen=True)
class Trainctl:
    """The command line, set up the way a user would (TRAINCTL_STACK and AWS_REGION), polling fast."""

    environment: dict[str, str]
    data_bucket: str
    artifacts_bucket: str
    state_machine_arn: str

    def command(self, *argv: str) -> list[str]:
        return [sys.executable, "-m", "trainctl", *argv]

    def run(
        self, *argv: str, stdin: str | None = None, timeout: float = COMMAND_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*argv),
            cwd=ROOT,
            env=self.environment,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *argv: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*argv),
            cwd=ROOT,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def tuning_input_file(self, directory: Path, *, max_jobs: int, max_parallel_jobs: int, **fields: Any) -> str:
        """The seed's console input with a tuner: its ganloss minimised over the learning rate."""
        execution_input = json.loads(Path(self.input_file(directory, **fields)).read_text())
        # A tuning job names its training jobs, and its own metric definitions are theirs.
        del execution_input["metric_definitions"], execution_input["base_job_name"]
        execution_input["tuner"] = {
            "base_tuning_job_name": "tc-tune",
            "objective_metric_name": "ganloss",
            "objective_type": "Minimize",
            "metric_definitions": [{"Name": "ganloss", "Regex": "GAN_loss=(.*?);"}],
            "hyperparameter_ranges": {
                "learning_rate": {"type": "Continuous", "min_value": 0.0001, "max_value": 0.01},
            },
            "strategy": "Random",
            "max_jobs": max_jobs,
            "max_parallel_jobs": max_parallel_jobs,
        }
        path = directory / f"tuning-{run_id()}.json"
        path.write_text(json.dumps(execution_input))
        return str(path)

    def input_file(self, directory: Path, **fields: Any) -> str:
        """The seed's console input (Estimator/fit() arguments), with a unique run."""
        execution_input = {
            "instance_type": "ml.m5.xlarge",
            "instance_count": 1,
            "base_job_name": "gan",
            "inputs": {"nome_modello": f"s3://{self.data_bucket}/gan/train/"},
            "metric_definitions": [{"Name": "loss", "Regex": "Loss = (.*?);"}],
            **fields,
        }
        execution_input["hyperparameters"] = {"epochs": 3, "run": run_id(), **fields.get("hyperparameters", {})}
        path = directory / f"input-{run_id()}.json"
        path.write_text(json.dumps(execution_input))
        return str(path)


def _training_stack(cloudformation: Any) -> dict[str, Any] | None:
    stacks = cloudformation.describe_stacks()["Stacks"]
    key = TrainingStackOutput.STATE_MACHINE_ARN.value
    return next((s for s in stacks if any(o["OutputKey"] == key for o in s.get("Outputs", []))), None)


@pytest.fixture(scope="module")
def trainctl(emulator: Any, platform: Any) -> Trainctl:
    cloudformation = emulator.client("cloudformation")
    training = _training_stack(cloudformation)
    assert training is not None, "the training stack is not deployed"
    outputs = stack_outputs(cloudformation)
    environment = emulator.environment()
    environment.update(
        TRAINCTL_STACK=training["StackName"],
        TRAINCTL_POLL_SECONDS="0.3",
        TRAINCTL_CONFIG=str(ROOT / "tests" / "integration" / "no-such-trainctl-config.toml"),
    )
    return Trainctl(
        environment,
        outputs["DataBucketName"],
        outputs["ArtifactsBucketName"],
        outputs[TrainingStackOutput.STATE_MACHINE_ARN.value],
    )


class Lines:
    """A running process's stdout, line by line as it writes them."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def until(self, predicate: Any) -> str:
        """The first new line matching `predicate`; fails if the output ends or stalls first."""
        deadline = time.monotonic() + LINE_TIMEOUT
        while True:
            try:
                line = self._queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no such line in {LINE_TIMEOUT} s; got {self.seen}") from None
            if line is None:
                raise AssertionError(f"output ended without the line; got {self.seen}")
            self.seen.append(line)
            if predicate(line):
                return line

    def rest(self) -> list[str]:
        while (line := self._queue.get(timeout=LINE_TIMEOUT)) is not None:
            self.seen.append(line)
        return self.seen


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts, never left behind when it fails."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def job_of(lines: Lines) -> str:
    return lines.until(lambda line: line.startswith("job:")).split()[1]


def test_start_follow_prints_log_lines_while_the_job_runs_then_the_summary(
    trainctl: Trainctl, emulator: Any, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    # Long enough that the job still runs when the test asks SageMaker, right after the first log line.
    source = trainctl.input_file(tmp_path, hyperparameters={"emulator_seconds": 10})
    process = trainctl.popen("start", source, "--follow")
    processes.append(process)
    lines = Lines(process)
    job = job_of(lines)
    first_log_line = lines.until(lambda line: line.startswith("[algo-1] "))
    # The line is on screen while SageMaker still runs the job: streamed, not printed at the end.
    described = emulator.client("sagemaker").describe_training_job(TrainingJobName=job)
    assert described["TrainingJobStatus"] == "InProgress", first_log_line
    assert process.wait(timeout=COMMAND_TIMEOUT) == 0, process.stderr.read() if process.stderr else ""
    output = lines.rest()
    assert any(" Training: " in line for line in output) and any(" Completed: " in line for line in output)
    assert f"[algo-1] Starting training job {job} on ml.m5.xlarge" in output
    assert f"job:       {job} Completed (Completed)" in output
    last_loss = [line for line in output if line.startswith("[algo-1] Loss = ")][-1]  # the job's last value
    assert f"metric:    loss = {last_loss.removeprefix('[algo-1] Loss = ').removesuffix(';')}" in output
    assert f"model:     s3://{trainctl.artifacts_bucket}/{job}/output/model.tar.gz" in output
    assert any(line.startswith("duration:") and "billable" in line for line in output)

    logs = trainctl.run("logs", job)
    assert logs.returncode == 0
    assert f"[algo-1] Starting training job {job} on ml.m5.xlarge" in logs.stdout.splitlines()
    status = trainctl.run("status", job, "--json")
    assert status.returncode == 0
    assert json.loads(status.stdout)["job"]["status"] == "Completed"


def test_start_follow_exits_non_zero_when_the_job_fails(trainctl: Trainctl, tmp_path: Path) -> None:
    source = trainctl.input_file(tmp_path, hyperparameters={"emulator_outcome": "failed"})
    result = trainctl.run("start", source, "--follow")
    assert result.returncode == 1, result.stderr
    assert "[algo-1] AlgorithmError: ExecuteUserScriptError" in result.stdout
    assert "reason:    AlgorithmError: ExecuteUserScriptError" in result.stdout
    assert "Traceback" not in result.stderr


def test_start_follow_into_head_ends_quietly(trainctl: Trainctl, tmp_path: Path) -> None:
    command = shlex.join(trainctl.command("start", trainctl.input_file(tmp_path), "--follow"))
    # stderr is trainctl's (head writes none) and then its exit code: nothing else, no traceback.
    result = subprocess.run(
        ["bash", "-c", f'{command} | head -1; echo "exit ${{PIPESTATUS[0]}}" >&2'],
        cwd=ROOT,
        env=trainctl.environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert result.stdout.startswith("execution: arn:aws:states:") and result.stdout.count("\n") == 1, result.stdout
    assert result.stderr == "exit 141\n"


# The example of scripting with --json, exactly as the docs show it: it must work as written.
JSON_EXAMPLE = """\
job=$(echo '{"instance_type": "ml.m5.xlarge", "instance_count": 1}' | .venv/bin/python -m trainctl start --json | jq -r .job_name)
.venv/bin/python -m trainctl status "$job" --json | jq -r .job.status
"""


def test_the_json_example_of_the_docs_works_as_written(trainctl: Trainctl, emulator: Any) -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq (the example's JSON tool) is not installed")
    # Run where the docs run it, the repository root, in the environment `python -m emulator start` asks for.
    result = subprocess.run(
        ["bash", "-c", JSON_EXAMPLE + 'echo "job=$job"'],
        cwd=ROOT,
        env=trainctl.environment,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    status, job_line = result.stdout.splitlines()
    assert status in ("InProgress", "Completed"), result.stdout + result.stderr
    job = job_line.removeprefix("job=")
    assert emulator.client("sagemaker").describe_training_job(TrainingJobName=job)["TrainingJobName"] == job
    # Progress goes to stderr, on screen: the execution and the job, and no error.
    assert [line.split()[0] for line in result.stderr.splitlines()] == ["execution:", "job:"], result.stderr
    command_line_docs = ROOT / "docs" / "trainctl.md"
    if command_line_docs.exists():  # the command line's own page, once the README's part moves there
        assert JSON_EXAMPLE in command_line_docs.read_text()


def test_wait_json_follows_a_capacity_retry_to_the_job_that_completes(
    trainctl: Trainctl, emulator: Any, tmp_path: Path
) -> None:
    source = trainctl.input_file(tmp_path, hyperparameters={"emulator_outcome": "capacity,completed"})
    result = trainctl.run("start", source, "--wait", "--json")
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)  # stdout is the one JSON document; progress went to stderr
    assert state["succeeded"] is True and state["execution"]["execution_status"] == "SUCCEEDED"
    first = next(line.split()[1] for line in result.stderr.splitlines() if line.startswith("job:"))
    assert state["job"]["job_name"] != first
    assert f"{first} failed; the workflow retries it as {state['job']['job_name']}" in result.stderr
    assert (
        emulator.client("sagemaker")
        .describe_training_job(TrainingJobName=first)["FailureReason"]
        .startswith("CapacityError")
    )


def test_set_overrides_change_the_job_that_runs(trainctl: Trainctl, emulator: Any, tmp_path: Path) -> None:
    job_name = f"overridden-{run_id()}"
    source = trainctl.input_file(tmp_path)
    result = trainctl.run(
        "start",
        "-",
        "--json",
        "--set",
        "hyperparameters.epochs=20",
        "--set",
        "instance_type=ml.c5.2xlarge",
        "--set",
        f"job_name={job_name}",
        "--set",
        'tags=[{"Key": "team", "Value": "vision"}]',
        stdin=Path(source).read_text(),
    )
    assert result.returncode == 0, result.stderr
    started = json.loads(result.stdout)
    assert started["job_name"] == job_name
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=job_name)
    assert job["HyperParameters"]["epochs"] == "20"
    assert job["ResourceConfig"]["InstanceType"] == "ml.c5.2xlarge"
    tags = emulator.client("sagemaker").list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
    assert {"Key": "team", "Value": "vision"} in tags


def test_invalid_input_starts_nothing(trainctl: Trainctl, emulator: Any, tmp_path: Path) -> None:
    sfn = emulator.client("stepfunctions")
    before = len(sfn.list_executions(stateMachineArn=trainctl.state_machine_arn)["executions"])
    source = trainctl.input_file(tmp_path)
    result = trainctl.run("start", source, "--set", "instance_type=m5.xlarge", "--set", "max_run=0")
    assert result.returncode == 2 and result.stdout == ""
    problems = result.stderr.splitlines()
    assert problems[0] == f"error: {source}: invalid training input (2 problems):"
    assert {line.split(":")[0].strip() for line in problems[1:]} == {"instance_type", "max_run"}
    assert len(sfn.list_executions(stateMachineArn=trainctl.state_machine_arn)["executions"]) == before


def test_ctrl_c_leaves_the_training_running_and_stop_ends_it(
    trainctl: Trainctl, emulator: Any, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    source = trainctl.input_file(tmp_path, hyperparameters={"emulator_seconds": 120})
    process = trainctl.popen("start", source, "--follow")
    processes.append(process)
    lines = Lines(process)
    execution_arn = lines.until(lambda line: line.startswith("execution:")).split()[1]
    job = job_of(lines)
    lines.until(lambda line: " Starting: " in line)
    process.send_signal(signal.SIGINT)  # Ctrl-C; stdin is not a terminal, so no question is asked
    assert process.wait(timeout=60) == 130
    assert process.stderr is not None
    hint = process.stderr.read().split("left running; stop it with: ", 1)[1].strip()
    assert hint.endswith(f"-m trainctl stop {execution_arn}")
    sagemaker = emulator.client("sagemaker")
    assert sagemaker.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] == "InProgress"

    # The command it suggests, run as printed.
    stopped = subprocess.run(
        shlex.split(hint), cwd=ROOT, env=trainctl.environment, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
    )
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith("stop requested: execution ")
    wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] == "Stopped")
    finished_execution(emulator.client("stepfunctions"), execution_arn)
    status = trainctl.run("status", execution_arn.rsplit(":", 1)[1])  # the execution's name also works
    assert status.returncode == 0
    assert status.stdout.splitlines()[:2] == [
        f"execution: {execution_arn.rsplit(':', 1)[1]} ABORTED",
        f"job:       {job} Stopped (Stopped)",
    ]
    figures = json.loads(trainctl.run("status", job, "--json").stdout)["job"]
    # Stopped while Starting: no instance ever ran, so no training time, yet the job lasted.
    assert figures["training_seconds"] is None and figures["duration_seconds"] >= 0, figures
    again = trainctl.run("stop", job)
    assert again.returncode == 1 and again.stderr == f"error: {job} already ended (Stopped); nothing to stop\n"


def test_list_shows_recent_trainings_with_status_duration_and_instance_type(trainctl: Trainctl, tmp_path: Path) -> None:
    started = trainctl.run("start", trainctl.input_file(tmp_path, instance_type="ml.c5.xlarge"), "--wait", "--json")
    assert started.returncode == 0, started.stderr
    job = json.loads(started.stdout)["job"]["job_name"]
    listed = trainctl.run("list", "--limit", "5", "--json")
    assert listed.returncode == 0, listed.stderr
    newest = json.loads(listed.stdout)[0]
    assert (newest["job"]["job_name"], newest["job"]["status"], newest["execution"]["execution_status"]) == (
        job,
        "Completed",
        "SUCCEEDED",
    )
    table = trainctl.run("list", "--limit", "5").stdout.splitlines()
    assert table[0].split() == [
        "STARTED",
        "EXECUTION",
        "STATUS",
        "KIND",
        "JOB",
        "JOB",
        "STATUS",
        "INSTANCES",
        "DURATION",
    ]
    row = table[1].split()
    assert row[3:7] == ["SUCCEEDED", "training", job, "Completed"] and "ml.c5.xlarge" in row


def test_status_shows_the_warm_pool_a_job_kept_and_the_job_that_reused_it(trainctl: Trainctl, tmp_path: Path) -> None:
    # A volume size no other test uses: no other job of the session matches these pools.
    fields = {"keep_alive_period_in_seconds": 600, "volume_size": 37}
    first = trainctl.run("start", trainctl.input_file(tmp_path, **fields), "--wait", "--json")
    assert first.returncode == 0, first.stderr
    first_job = json.loads(first.stdout)["job"]["job_name"]
    kept = json.loads(trainctl.run("status", first_job, "--json").stdout)["job"]["warm_pool"]
    assert kept["status"] == "Available" and kept["reused_by"] is None
    assert any(
        line.startswith("warm pool: Available (retained ")
        for line in trainctl.run("status", first_job).stdout.splitlines()
    )

    second = trainctl.run("start", trainctl.input_file(tmp_path, **fields), "--wait", "--json")
    assert second.returncode == 0, second.stderr
    second_job = json.loads(second.stdout)["job"]["job_name"]
    lines = trainctl.run("status", first_job).stdout.splitlines()
    assert any(line.startswith(f"warm pool: Reused by {second_job} (retained ") for line in lines), lines
    reused = json.loads(trainctl.run("status", first_job, "--json").stdout)["job"]["warm_pool"]
    assert (reused["status"], reused["reused_by"]) == ("Reused", second_job)


def test_status_and_logs_show_every_group_and_host_of_a_heterogeneous_cluster(
    trainctl: Trainctl, tmp_path: Path
) -> None:
    execution_input = json.loads(Path(trainctl.input_file(tmp_path)).read_text())
    del execution_input["instance_type"], execution_input["instance_count"]
    execution_input["instance_groups"] = [
        {"instance_group_name": "data", "instance_type": "ml.c5.xlarge", "instance_count": 2},
        {"instance_group_name": "train", "instance_type": "ml.m5.xlarge", "instance_count": 1},
    ]
    source = tmp_path / "heterogeneous.json"
    source.write_text(json.dumps(execution_input))
    started = trainctl.run("start", str(source), "--wait")
    assert started.returncode == 0, started.stderr
    assert "instances: data: 2 x ml.c5.xlarge, train: 1 x ml.m5.xlarge" in started.stdout.splitlines()
    job = next(line.split()[1] for line in started.stdout.splitlines() if line.startswith("job:"))
    status = trainctl.run("status", job).stdout.splitlines()
    assert "instances: data: 2 x ml.c5.xlarge, train: 1 x ml.m5.xlarge" in status
    logs = trainctl.run("logs", job).stdout.splitlines()
    assert {line for line in logs if " Starting training job " in line} == {
        f"[algo-1] Starting training job {job} on ml.c5.xlarge",
        f"[algo-2] Starting training job {job} on ml.c5.xlarge",
        f"[algo-3] Starting training job {job} on ml.m5.xlarge",
    }


def test_start_packages_a_local_source_dir_and_the_job_runs_it_from_s3(
    trainctl: Trainctl, emulator: Any, tmp_path: Path
) -> None:
    """`Estimator(entry_point="train.py", source_dir="src", dependencies=["common"])` as an input file: trainctl
    uploads the SDK's sourcedir.tar.gz and the job reads it, as its execution role, from where the request says."""
    (tmp_path / "src" / "models").mkdir(parents=True)
    (tmp_path / "src" / "train.py").write_text("print('training')\n")
    (tmp_path / "src" / "models" / "__init__.py").write_text("GENERATOR = 'unet'\n")
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "losses.py").write_text("def gan_loss(): ...\n")
    source = trainctl.input_file(
        tmp_path, entry_point="train.py", source_dir="src", dependencies=["common"], hyperparameters={"epochs": 2}
    )
    since = len(calls(emulator))

    result = trainctl.run("start", source, "--wait", "--json")

    assert result.returncode == 0, result.stderr
    job_name = json.loads(result.stdout)["job"]["job_name"]
    uri = f"s3://{trainctl.artifacts_bucket}/{job_name}/source/sourcedir.tar.gz"
    assert f"code:      {uri}" in result.stderr.splitlines()
    hyperparameters = emulator.client("sagemaker").describe_training_job(TrainingJobName=job_name)["HyperParameters"]
    assert json.loads(hyperparameters["sagemaker_program"]) == "train.py"
    assert json.loads(hyperparameters["sagemaker_submit_directory"]) == uri
    assert json.loads(hyperparameters["sagemaker_job_name"]) == job_name
    archive = emulator.client("s3").get_object(Bucket=trainctl.artifacts_bucket, Key=uri.split("/", 3)[3])["Body"]
    with tarfile.open(fileobj=io.BytesIO(archive.read()), mode="r:gz") as contents:
        files = {member.name: contents.extractfile(member).read() for member in contents if member.isfile()}  # type: ignore[union-attr]
    assert files == {
        "train.py": b"print('training')\n",
        "models/__init__.py": b"GENERATOR = 'unet'\n",
        "common/losses.py": b"def gan_loss(): ...\n",
    }
    # The container fetched it with the execution role (tests/integration/test_permissions.py judges the call).
    fetched = wait_for(
        lambda: find(
            calls(emulator, since),
            by=f"training job {job_name}",
            action="s3:GetObject",
            resource=f"arn:aws:s3:::{uri.removeprefix('s3://')}",
        )
    )
    assert fetched[0]["outcome"] == "ok" and ":role/" in fetched[0]["principal"]


def test_a_local_source_dir_that_is_not_there_starts_nothing_and_uploads_nothing(
    trainctl: Trainctl, emulator: Any, tmp_path: Path
) -> None:
    source = trainctl.input_file(tmp_path, entry_point="train.py", source_dir="no-such-src")
    since = len(calls(emulator))
    result = trainctl.run("start", source)
    assert result.returncode == 2 and result.stdout == ""
    assert f"  source_dir: no such directory (relative paths are from {tmp_path.resolve()}) (got 'no-such-src')" in (
        result.stderr.splitlines()
    )
    started = find(
        calls(emulator, since), principal_type="caller", action=lambda a: a in ("s3:PutObject", "states:StartExecution")
    )
    assert not started


def test_a_notebook_estimator_runs_through_the_platform(
    trainctl: Trainctl, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`Platform.connect().start(from_estimator(estimator, inputs=...))` in place of `estimator.fit(...)`."""
    pytest.importorskip("sagemaker")
    import boto3

    # The SDK without config files, project tags or telemetry: the parity oracle's isolation
    # (tests/ is no package: site-packages already has a `tests`).
    sys.path.insert(0, str(ROOT / "tests"))
    from parity.sdk_oracle import isolated_sdk, offline_session
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput

    from trainctl.notebook import from_estimator
    from trainctl.platform import Platform

    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
    monkeypatch.setenv("TRAINCTL_POLL_SECONDS", "0.3")
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=emulator.region)
    platform = Platform.connect(trainctl.environment["TRAINCTL_STACK"], emulator.region, session=session)
    defaults = platform.defaults()
    with isolated_sdk():
        estimator = Estimator(
            image_uri=defaults.image_uri,
            role=defaults.role_arn,
            instance_type="ml.m5.xlarge",
            instance_count=1,
            base_job_name="notebook",
            hyperparameters={"epochs": 10, "run": run_id(), "emulator_seconds": 2},
            metric_definitions=[{"Name": "ganloss", "Regex": "GAN_loss=(.*?);"}],
            sagemaker_session=offline_session(emulator.region),
        )
    data = TrainingInput(f"s3://{trainctl.data_bucket}/gan/train/", distribution="ShardedByS3Key")
    printed: list[str] = []
    state = platform.start(from_estimator(estimator, inputs={"nome_modello": data})).wait(logs=True, out=printed.append)

    assert state.succeeded and state.job is not None and state.job.name.startswith("notebook-")
    last_ganloss = [line for line in printed if line.startswith("[algo-1] GAN_loss=")][-1]  # the job's last value
    assert state.job.final_metrics == {"ganloss": float(last_ganloss.removeprefix("[algo-1] GAN_loss=").rstrip(";"))}
    assert f"[algo-1] Starting training job {state.job.name} on ml.m5.xlarge" in printed
    job = emulator.client("sagemaker").describe_training_job(TrainingJobName=state.job.name)
    assert job["HyperParameters"]["epochs"] == "10"
    channel = job["InputDataConfig"][0]
    assert (channel["ChannelName"], channel["DataSource"]["S3DataSource"]["S3DataDistributionType"]) == (
        "nome_modello",
        "ShardedByS3Key",
    )


def test_ctrl_c_on_a_terminal_asks_and_yes_stops_the_training(
    trainctl: Trainctl, emulator: Any, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    source = trainctl.input_file(tmp_path, hyperparameters={"emulator_seconds": 120})
    terminal, terminal_side = pty.openpty()  # standard input is a terminal: trainctl asks
    try:
        process = subprocess.Popen(
            trainctl.command("start", source, "--follow"),
            cwd=ROOT,
            env=trainctl.environment,
            stdin=terminal_side,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        lines = Lines(process)
        execution_arn = lines.until(lambda line: line.startswith("execution:")).split()[1]
        job = job_of(lines)
        lines.until(lambda line: " Starting: " in line)
        process.send_signal(signal.SIGINT)
        os.write(terminal, b"y\n")  # the terminal keeps the answer until trainctl reads it
        assert process.wait(timeout=60) == 1
    finally:
        os.close(terminal)
        os.close(terminal_side)
    assert f"Stop the training ({execution_arn})? [y/N] " in lines.rest()
    assert process.stderr is not None and f"stopping {execution_arn}" in process.stderr.read()
    sagemaker = emulator.client("sagemaker")
    wait_for(lambda: sagemaker.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] == "Stopped")
    assert finished_execution(emulator.client("stepfunctions"), execution_arn)["status"] == "ABORTED"


# -- tuning jobs ------------------------------------------------------------------------------------------------


def test_start_follow_of_a_tuning_request_shows_each_training_job_and_the_best_one(
    trainctl: Trainctl, emulator: Any, tmp_path: Path
) -> None:
    source = trainctl.tuning_input_file(
        tmp_path, max_jobs=3, max_parallel_jobs=2, hyperparameters={"emulator_seconds": 2}
    )
    result = trainctl.run("start", source, "--follow")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    tuning_job = next(line.split()[1] for line in lines if line.startswith("tuning:"))
    # `HH:MM:SS <training job> Completed: ganloss = <value>`, one per training job, as each ends.
    ended = {
        line.split()[1]: float(line.rsplit(" = ", 1)[1])
        for line in lines
        if line.split()[1:2] and line.split()[1].startswith(f"{tuning_job}-") and " Completed: ganloss = " in line
    }
    assert len(ended) == 3, lines
    best_lines = [line.split()[4:] for line in lines if " best so far: " in line]
    best_name, best_value = min(ended.items(), key=lambda item: item[1])
    assert best_lines[-1] == [best_name, "ganloss", "=", str(best_value)], lines
    assert f"tuning:    {tuning_job} Completed" in lines
    assert "jobs:      3 completed, 0 in progress, 0 stopped, 0 failed" in lines
    assert f"best:      {best_name} ganloss = {best_value}" in lines
    assert f"model:     s3://{trainctl.artifacts_bucket}/{best_name}/output/model.tar.gz" in lines
    assert any(line.startswith("console:") and f"hyper-tuning-jobs/{tuning_job}" in line for line in lines)

    # status --json of the tuning job agrees with SageMaker's own description.
    status = trainctl.run("status", tuning_job, "--json")
    assert status.returncode == 0, status.stderr
    state = json.loads(status.stdout)
    described = emulator.client("sagemaker").describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_job)
    assert (state["kind"], state["succeeded"], state["job"], state["execution"]) == ("tuning", True, None, None)
    assert state["tuning_job"]["best_training_job"]["name"] == described["BestTrainingJob"]["TrainingJobName"]
    assert (
        state["tuning_job"]["best_training_job"]["tuned_hyperparameters"]
        == (described["BestTrainingJob"]["TunedHyperParameters"])
    )
    assert state["tuning_job"]["training_job_counts"] == {"completed": 3, "in_progress": 0, "stopped": 0, "failed": 0}


def test_list_shows_a_tuning_execution_with_its_kind(trainctl: Trainctl, tmp_path: Path) -> None:
    source = trainctl.tuning_input_file(
        tmp_path, max_jobs=1, max_parallel_jobs=1, hyperparameters={"emulator_seconds": 1}
    )
    started = trainctl.run("start", source, "--wait", "--json")
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    tuning_job = state["tuning_job"]["tuning_job_name"]
    assert (state["kind"], state["execution"]["execution_status"]) == ("tuning", "SUCCEEDED")
    listed = trainctl.run("list", "--limit", "5", "--json")
    assert listed.returncode == 0, listed.stderr
    newest = json.loads(listed.stdout)[0]
    assert (newest["kind"], newest["tuning_job"]["tuning_job_name"], newest["tuning_job"]["status"]) == (
        "tuning",
        tuning_job,
        "Completed",
    )
    row = trainctl.run("list", "--limit", "5").stdout.splitlines()[1].split()
    assert row[3:7] == ["SUCCEEDED", "tuning", tuning_job, "Completed"]


def test_stop_a_tuning_job_by_name_then_by_execution(trainctl: Trainctl, emulator: Any, tmp_path: Path) -> None:
    sagemaker = emulator.client("sagemaker")

    def tuning_status(name: str) -> str:
        return str(
            sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
                "HyperParameterTuningJobStatus"
            ]
        )

    started = []
    for _ in range(2):
        source = trainctl.tuning_input_file(
            tmp_path, max_jobs=2, max_parallel_jobs=2, hyperparameters={"emulator_seconds": 120}
        )
        result = trainctl.run("start", source, "--json")
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert (document["kind"], document["job_name"]) == ("tuning", None)
        started.append((document["execution_arn"], document["tuning_job_name"]))
    (first_execution, first), (second_execution, second) = started

    # By the tuning job's name: StopHyperParameterTuningJob, and the execution then ends.
    stopped = trainctl.run("stop", first)
    assert (stopped.returncode, stopped.stdout) == (0, f"stop requested: tuning job {first}\n"), stopped.stderr
    wait_for(lambda: tuning_status(first) == "Stopped", timeout=COMMAND_TIMEOUT)
    assert finished_execution(emulator.client("stepfunctions"), first_execution)["status"] != "SUCCEEDED"
    again = trainctl.run("stop", first)
    assert again.returncode == 1 and again.stderr == f"error: {first} already ended (Stopped); nothing to stop\n"

    # By the execution: it is stopped, and its tuning job with it.
    stopped = trainctl.run("stop", second_execution, "--json")
    assert stopped.returncode == 0, stopped.stderr
    assert json.loads(stopped.stdout)["tuning_job"]["tuning_job_name"] == second
    wait_for(lambda: tuning_status(second) == "Stopped", timeout=COMMAND_TIMEOUT)
    assert finished_execution(emulator.client("stepfunctions"), second_execution)["status"] == "ABORTED"
    status = trainctl.run("status", second_execution.rsplit(":", 1)[1])
    assert status.stdout.splitlines()[:2] == [
        f"execution: {second_execution.rsplit(':', 1)[1]} ABORTED",
        f"tuning:    {second} Stopped",
    ]
