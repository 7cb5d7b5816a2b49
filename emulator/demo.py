"""The README's first command: the whole platform, locally, end to end, in well under a minute (warm).

`python -m emulator.demo [--port N] [--keep]`: starts the emulator, bootstraps and deploys the
stacks with the real CDK CLI, then trains twice, the two ways a user starts a training:

- as a console user: an execution started with examples/gan-seed.json (its example bucket names
  replaced by the deployed ones);
- as an event-driven user: examples/minimal.json uploaded to s3://<data bucket>/requests/demo.json,
  which the request-file rule turns into an execution; its outcome is written at the same path under
  the result prefix (results/demo.json), as a new version of that object naming the request version.

For each it prints the CreateTrainingJob request the workflow sent, the job's status changes and
the outcome. Then a data scientist tunes the GAN with the command line: `trainctl start --follow` of
examples/gan-tuning.json made small (4 training jobs, 2 at a time, a few seconds each) prints each
training job's end and the best objective as it improves, and `trainctl status` the tuning job's best
job. Every step is numbered and timed. On failure it says what failed and exits 1. It stops
the emulator it started at the end, whatever happened, and deletes its work directory, unless --keep.
It refuses to run on a port an emulator already serves (one kept by an earlier --keep run):
it never stops an emulator it did not start.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from emulator import (
    DEFAULT_PORT,
    DEFAULT_REGION,
    DUMMY_CREDENTIALS,
    REPOSITORY_ROOT,
    STATE_DIR,
    client_environment,
    endpoint_url,
    process,
    shell_exports,
)
from emulator.deployment import CdkRunner, DeploymentError, stack_outputs
from platform_contract import (
    JOB_NAME_FIELD,
    TrainingStackOutput,
    TuningJobStatus,
    WorkflowExecutionStatus,
    result_key,
    training_stack_name,
)
from training_events import RequestStatus

CONSOLE_EXAMPLE = REPOSITORY_ROOT / "examples" / "gan-seed.json"
REQUEST_FILE_EXAMPLE = REPOSITORY_ROOT / "examples" / "minimal.json"
TUNING_EXAMPLE = REPOSITORY_ROOT / "examples" / "gan-tuning.json"
# The tuning example made small enough for the demo: 4 training jobs, 2 at a time, each a few seconds long
# (the emulator's `emulator_seconds` hyperparameter), as `--set` options of trainctl start.
TUNING_OVERRIDES = ("tuner.max_jobs=4", "tuner.max_parallel_jobs=2", "hyperparameters.emulator_seconds=2")
# The prefixes the demo deploys with: cdk.json's defaults.
_SETTINGS = json.loads((REPOSITORY_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
REQUEST_KEY = f"{_SETTINGS['request_prefix']}demo.json"
RESULT_KEY = result_key(
    REQUEST_KEY, request_prefix=_SETTINGS["request_prefix"], result_prefix=_SETTINGS["result_prefix"]
)
# The examples' bucket names, as a user would replace them with the deployed stack's.
EXAMPLE_BUCKETS = {
    "my-training-data": "DataBucketName",
    "my-training-artifacts": "ArtifactsBucketName",
    "my-training-tensorboard": "TensorBoardBucketName",
}
STEPS = 6
# Emulated jobs last seconds: a job the workflow follows by describing it (the AWS SDK route) is described
# every 2 s, not every minute (the setting's default, sized for real jobs).
JOB_POLL_SECONDS = 2
EXECUTION_TIMEOUT_SECONDS = 120.0


class DemoFailed(RuntimeError):
    """A step did not do what it should; the message says which and why."""


class Demo:
    def __init__(self, port: int) -> None:
        self.port = port
        self.started = time.monotonic()
        self.timings: list[tuple[str, float]] = []
        self.step_number = 0

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=endpoint_url(self.port), region_name=DEFAULT_REGION, **DUMMY_CREDENTIALS
        )

    def step(self, title: str, action: Callable[[], Any]) -> Any:
        self.step_number += 1
        print(f"\n[{self.step_number}/{STEPS}] {title}", flush=True)
        began = time.monotonic()
        result = action()
        seconds = time.monotonic() - began
        self.timings.append((title, seconds))
        print(f"      ({seconds:.1f} s)", flush=True)
        return result


def say(text: str) -> None:
    print(f"      {text}", flush=True)


def show(data: Any) -> None:
    print("      " + json.dumps(data, indent=2, default=str).replace("\n", "\n      "), flush=True)


def with_deployed_buckets(example: Any, outputs: dict[str, str]) -> dict[str, Any]:
    text = example.read_text(encoding="utf-8")
    for example_bucket, output in EXAMPLE_BUCKETS.items():
        text = text.replace(f"s3://{example_bucket}/", f"s3://{outputs[output]}/")
    return json.loads(text)


def sent_request(sfn: Any, execution_arn: str) -> dict[str, Any] | None:
    """The CreateTrainingJob parameters the workflow's SageMaker task was scheduled with."""
    for event in sfn.get_execution_history(executionArn=execution_arn)["events"]:
        details = event.get("taskScheduledEventDetails")
        if details and details["resourceType"] == "sagemaker":
            return json.loads(details["parameters"])
    return None


def described_job(sagemaker: Any, name: str) -> dict[str, Any] | None:
    """The job, or None while SageMaker has not created it yet (the task is scheduled just before)."""
    try:
        return dict(sagemaker.describe_training_job(TrainingJobName=name))
    except ClientError as error:
        if "not found" in str(error.response["Error"].get("Message", "")):
            return None
        raise


def follow(demo: Demo, execution_arn: str) -> dict[str, Any]:
    """Print the request once sent and every status change of the job; return the ended execution."""
    sfn, sagemaker = demo.client("stepfunctions"), demo.client("sagemaker")
    request: dict[str, Any] | None = None
    seen: tuple[str, str] | None = None
    deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        execution = sfn.describe_execution(executionArn=execution_arn)
        if request is None:
            request = sent_request(sfn, execution_arn)
            if request is not None:
                say("CreateTrainingJob request sent by the workflow:")
                show(request)
        job = described_job(sagemaker, request["TrainingJobName"]) if request is not None else None
        if job is not None:
            status = (job["TrainingJobStatus"], job["SecondaryStatus"])
            if status != seen:
                seen = status
                message = job["SecondaryStatusTransitions"][-1].get("StatusMessage", "")
                say(f"{time.strftime('%H:%M:%S')}  job {job['TrainingJobName']}: {status[0]} / {status[1]}  {message}")
        if execution["status"] != WorkflowExecutionStatus.RUNNING.value:
            return execution
        time.sleep(0.3)
    raise DemoFailed(f"the execution {execution_arn} was still running after {EXECUTION_TIMEOUT_SECONDS:.0f} s")


def report(execution: dict[str, Any]) -> None:
    say(f"Execution {execution['status']}")
    if execution["status"] == WorkflowExecutionStatus.SUCCEEDED.value:
        show(json.loads(execution["output"]))
    else:
        say(f"{execution.get('error')}: {execution.get('cause')}")


def deploy(demo: Demo, cdk: CdkRunner) -> dict[str, str]:
    say("cdk bootstrap (real CDK CLI)")
    cdk.bootstrap()
    say(
        f"cdk deploy --all (real CDK CLI, change sets; synthesises the app first), -c job_poll_seconds={JOB_POLL_SECONDS}"
    )
    cdk.deploy({"job_poll_seconds": JOB_POLL_SECONDS})
    cloudformation = demo.client("cloudformation")
    for stack in cloudformation.describe_stacks()["Stacks"]:
        if stack["StackName"] != "CDKToolkit":
            say(f"Stack {stack['StackName']}: {stack['StackStatus']}")
            for output in sorted(stack.get("Outputs", []), key=lambda o: o["OutputKey"]):
                if not output["OutputKey"].startswith("Export"):
                    say(f"  - {output['OutputKey']} = {output['OutputValue']}")
    return stack_outputs(cloudformation)


def console_run(demo: Demo, outputs: dict[str, str]) -> dict[str, Any]:
    execution_input = with_deployed_buckets(CONSOLE_EXAMPLE, outputs)
    say(f"Execution input: {CONSOLE_EXAMPLE.relative_to(REPOSITORY_ROOT)}, bucket names replaced by the deployed ones")
    show(execution_input)
    execution_arn = demo.client("stepfunctions").start_execution(
        stateMachineArn=outputs[TrainingStackOutput.STATE_MACHINE_ARN.value], input=json.dumps(execution_input)
    )["executionArn"]
    say(f"Started {execution_arn.rsplit(':', 1)[-1]}; following it")
    execution = follow(demo, execution_arn)
    report(execution)
    return execution


def execution_arns(demo: Demo, state_machine_arn: str) -> set[str]:
    executions = demo.client("stepfunctions").list_executions(stateMachineArn=state_machine_arn)["executions"]
    return {str(e["executionArn"]) for e in executions}


def triggered_execution(demo: Demo, state_machine_arn: str, data_bucket: str, earlier: set[str]) -> str:
    """The execution the request-file rule started for s3://<data bucket>/<REQUEST_KEY>."""
    sfn = demo.client("stepfunctions")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for summary in sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]:
            if summary["executionArn"] in earlier:
                continue
            event = json.loads(sfn.describe_execution(executionArn=summary["executionArn"]).get("input") or "{}")
            detail = event.get("detail") if isinstance(event, dict) else None
            if (
                event.get("detail-type") == "Object Created"
                and isinstance(detail, dict)
                and detail.get("bucket", {}).get("name") == data_bucket
                and detail.get("object", {}).get("key") == REQUEST_KEY
            ):
                return str(summary["executionArn"])
        time.sleep(0.5)
    raise DemoFailed(f"no execution started within 30 s of uploading s3://{data_bucket}/{REQUEST_KEY}")


def request_file_run(demo: Demo, outputs: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    data_bucket = outputs["DataBucketName"]
    request = with_deployed_buckets(REQUEST_FILE_EXAMPLE, outputs)
    say(
        f"Uploading {REQUEST_FILE_EXAMPLE.relative_to(REPOSITORY_ROOT)} (bucket names replaced) "
        f"to s3://{data_bucket}/{REQUEST_KEY}"
    )
    show(request)
    s3 = demo.client("s3")
    state_machine_arn = outputs[TrainingStackOutput.STATE_MACHINE_ARN.value]
    earlier = execution_arns(demo, state_machine_arn)
    put = s3.put_object(Bucket=data_bucket, Key=REQUEST_KEY, Body=json.dumps(request, indent=2).encode())
    say(
        f'Uploaded (version {put.get("VersionId")}); S3 sends "Object Created" to EventBridge, '
        "whose request-file rule starts the workflow"
    )
    execution_arn = triggered_execution(demo, state_machine_arn, data_bucket, earlier)
    say(f"The rule started {execution_arn.rsplit(':', 1)[-1]}; following it")
    execution = follow(demo, execution_arn)
    report(execution)
    try:
        stored = s3.get_object(Bucket=data_bucket, Key=RESULT_KEY)
    except s3.exceptions.NoSuchKey:
        raise DemoFailed(f"the workflow wrote no s3://{data_bucket}/{RESULT_KEY}") from None
    result = json.loads(stored["Body"].read())
    say(
        f"Result file s3://{data_bucket}/{RESULT_KEY} (version {stored.get('VersionId')}), "
        f"answering request version {result.get('request_version_id')}:"
    )
    show(result)
    return execution, result


def trainctl_environment(port: int) -> dict[str, str]:
    """The command line pointed at the emulator and at the stack the demo deployed (whatever the user's own
    trainctl configuration says), polling often: the emulator's jobs last seconds."""
    environment = client_environment(port)
    environment.update(
        TRAINCTL_STACK=training_stack_name(_SETTINGS["prefix"], _SETTINGS["environment"]),
        TRAINCTL_POLL_SECONDS="0.5",
        TRAINCTL_CONFIG=os.devnull,
    )
    return environment


def trainctl(port: int, *argv: str, stdin: str = "") -> tuple[int, str]:
    """Run `python -m trainctl ARGV` as a user would, showing what it writes on stderr (with --json: its
    progress) as it comes; its exit code and stdout. Bounded: killed after EXECUTION_TIMEOUT_SECONDS."""
    say(f"$ .venv/bin/python -m trainctl {' '.join(argv)}")
    process = subprocess.Popen(
        [sys.executable, "-m", "trainctl", *argv],
        cwd=REPOSITORY_ROOT,
        env=trainctl_environment(port),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    timer = threading.Timer(EXECUTION_TIMEOUT_SECONDS, process.kill)
    timer.start()
    try:
        assert process.stdin is not None and process.stderr is not None and process.stdout is not None
        process.stdin.write(stdin)
        process.stdin.close()
        for line in process.stderr:
            say(f"  {line.rstrip()}")
        output = process.stdout.read()
        code = process.wait()
    finally:
        timer.cancel()
    if code < 0:
        raise DemoFailed(f"trainctl {argv[0]} was still running after {EXECUTION_TIMEOUT_SECONDS:.0f} s")
    return code, output


def tuning_run(demo: Demo, outputs: dict[str, str]) -> dict[str, Any]:
    """`trainctl start --follow` of the small tuning request, then `trainctl status` of its tuning job."""
    request = with_deployed_buckets(TUNING_EXAMPLE, outputs)
    say(
        f"Tuning request: {TUNING_EXAMPLE.relative_to(REPOSITORY_ROOT)} (bucket names replaced), made small "
        "with --set; trainctl prints each training job's end and the best objective as it improves"
    )
    overrides = [argument for override in TUNING_OVERRIDES for argument in ("--set", override)]
    code, output = trainctl(demo.port, "start", "-", *overrides, "--follow", "--json", stdin=json.dumps(request))
    try:
        state: dict[str, Any] = json.loads(output)
    except ValueError:
        raise DemoFailed(f"trainctl start exited {code} without its JSON document: {output[:200]!r}") from None
    tuning_job = state.get("tuning_job") or {}
    if tuning_job.get("tuning_job_name"):
        code, output = trainctl(demo.port, "status", tuning_job["tuning_job_name"])
        for line in output.splitlines():
            say(f"  {line}")
    return state


def run(demo: Demo, keep: bool) -> int:
    cdk = CdkRunner(demo.port, STATE_DIR / "cdk.out-demo")
    pid = demo.step(
        f"Starting the emulator (moto {_moto_version()} and the project's adapters) on {endpoint_url(demo.port)}",
        lambda: process.start(demo.port),
    )
    say(f"pid {pid}, log .emulator/emulator-{demo.port}.log")
    outputs = demo.step("Deploying the stacks into the emulator with the real CDK CLI", lambda: deploy(demo, cdk))
    console = demo.step("A console user starts an execution", lambda: console_run(demo, outputs))
    triggered, result = demo.step(
        "An event-driven user uploads a request file", lambda: request_file_run(demo, outputs)
    )
    tuning = demo.step("A data scientist tunes the GAN with trainctl", lambda: tuning_run(demo, outputs))
    total = time.monotonic() - demo.started
    tuning_job = tuning.get("tuning_job") or {}
    best = tuning_job.get("best_training_job") or {}
    succeeded = (
        console["status"] == triggered["status"] == WorkflowExecutionStatus.SUCCEEDED.value
        and result.get("status") == RequestStatus.COMPLETED.value
        and tuning_job.get("status") == TuningJobStatus.COMPLETED.value
        and best.get("objective_value") is not None
    )

    demo.step_number = STEPS
    print(f"\n[{STEPS}/{STEPS}] Summary")
    say(
        f"{'OK' if succeeded else 'FAILED'}: deployed 2 stacks with the CDK CLI, trained "
        f"{'2 jobs and a tuning job of 4' if succeeded else 'with failures'} in {total:.0f} s"
    )
    say(
        f"- console execution ({CONSOLE_EXAMPLE.name}): {console['status']}"
        + (
            f", job {json.loads(console['output'])[JOB_NAME_FIELD]}"
            if console["status"] == WorkflowExecutionStatus.SUCCEEDED.value
            else ""
        )
    )
    say(
        f"- request file s3://{outputs['DataBucketName']}/{REQUEST_KEY} ({REQUEST_FILE_EXAMPLE.name}): "
        f"{triggered['status']}, result {result.get('status')}"
        + (f", job {result['job_name']}, model {result.get('model_artifacts')}" if result.get("job_name") else "")
    )
    counts = tuning_job.get("training_job_counts") or {}
    say(
        f"- tuning job ({TUNING_EXAMPLE.name}, {', '.join(TUNING_OVERRIDES)}): {tuning_job.get('status')}, "
        f"{counts.get('completed', 0)} training jobs completed"
        + (f", best {best['name']} {best['objective_metric']} = {best['objective_value']}" if best else "")
    )
    for title, seconds in demo.timings:
        say(f"{seconds:6.1f} s  {title}")
    if keep:
        say(
            f"\n      The emulator keeps running. Explore it:\n"
            f"        {shell_exports(demo.port)}\n"
            f"        aws stepfunctions list-executions "
            f"--state-machine-arn {outputs[TrainingStackOutput.STATE_MACHINE_ARN.value]}\n"
            f"        aws sagemaker list-training-jobs\n"
            f"        .venv/bin/python -m trainctl --help\n"
            f"      Stop it with: .venv/bin/python -m emulator stop --port {demo.port}"
        )
    return 0 if succeeded else 1


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--keep", action="store_true", help="leave the emulator running to explore it")
    args = parser.parse_args(argv)
    if process.is_listening(args.port):
        print(
            f"demo: an emulator (or another server) already serves {endpoint_url(args.port)} "
            f"(kept by an earlier --keep run?); "
            f"the demo deploys into an emulator of its own: stop that one with "
            f"`.venv/bin/python -m emulator stop --port {args.port}`, or choose another --port",
            file=sys.stderr,
        )
        return 1
    demo = Demo(args.port)
    try:
        return run(demo, args.keep)
    except (DeploymentError, process.EmulatorError, DemoFailed) as error:
        print(f"\ndemo failed at step {demo.step_number}: {error}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as error:
        print(
            f"\ndemo failed at step {demo.step_number}: the emulator answered: {error}\n"
            f"  (its log: .emulator/emulator-{args.port}.log)",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("\ndemo interrupted", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            process.stop_and_remove_work_dir(args.port)
            print("\n      Emulator stopped (rerun with --keep to explore it).")


if __name__ == "__main__":
    sys.exit(main())
