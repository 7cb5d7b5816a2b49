"""The README's first command: the whole platform, locally, end to end, in about a minute.

`python -m emulator.demo [--port N] [--keep]`: starts the emulator, bootstraps and deploys the
stacks with the real CDK CLI, starts an execution with examples/gan-seed.json as a console user
would (its example bucket names replaced by the deployed ones), and prints what happens: the
stack outputs, the CreateTrainingJob request the workflow sent, the job's status changes and the
execution's output. With a request-file trigger deployed, it also uploads the example as a
request file and shows the execution that starts. Stops the emulator at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3

from emulator import DEFAULT_PORT, DEFAULT_REGION, REPOSITORY_ROOT, STATE_DIR, endpoint_url, process
from emulator.deployment import CdkRunner, DeploymentError, stack_outputs

EXAMPLE = REPOSITORY_ROOT / "examples" / "gan-seed.json"
# The example's bucket names, as a user would replace them with the deployed stack's.
EXAMPLE_BUCKETS = {"my-training-data": "DataBucketName", "my-training-artifacts": "ArtifactsBucketName"}


class Demo:
    def __init__(self, port: int) -> None:
        self.port = port
        self.started = time.monotonic()
        self.timings: list[tuple[str, float]] = []

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=endpoint_url(self.port), region_name=DEFAULT_REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def step(self, title: str, action: Callable[[], Any]) -> Any:
        print(f"\n== {title}", flush=True)
        began = time.monotonic()
        result = action()
        self.timings.append((title, time.monotonic() - began))
        return result


def show(data: Any) -> None:
    print("   " + json.dumps(data, indent=2, default=str).replace("\n", "\n   "))


def console_input(outputs: dict[str, str]) -> dict[str, Any]:
    text = EXAMPLE.read_text(encoding="utf-8")
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


def follow(demo: Demo, execution_arn: str) -> dict[str, Any]:
    """Print the request once sent and every status change of the job; return the ended execution."""
    sfn, sagemaker = demo.client("stepfunctions"), demo.client("sagemaker")
    request: dict[str, Any] | None = None
    seen: tuple[str, str] | None = None
    while True:
        execution = sfn.describe_execution(executionArn=execution_arn)
        if request is None:
            request = sent_request(sfn, execution_arn)
            if request is not None:
                print("   CreateTrainingJob request sent by the workflow:")
                show(request)
        if request is not None:
            job = sagemaker.describe_training_job(TrainingJobName=request["TrainingJobName"])
            status = (job["TrainingJobStatus"], job["SecondaryStatus"])
            if status != seen:
                seen = status
                message = job["SecondaryStatusTransitions"][-1].get("StatusMessage", "")
                print(f"   {time.strftime('%H:%M:%S')}  job {job['TrainingJobName']}: {status[0]} / {status[1]}  {message}",
                      flush=True)
        if execution["status"] != "RUNNING":
            return execution
        time.sleep(0.3)


def run(demo: Demo, keep: bool) -> int:
    cdk = CdkRunner(demo.port, STATE_DIR / "cdk.out-demo")
    pid = demo.step(f"Starting the emulator on {endpoint_url(demo.port)}", lambda: process.start(demo.port))
    print(f"   moto {_moto_version()} with the project's adapters (pid {pid}, log .emulator/emulator-{demo.port}.log)")
    demo.step("cdk bootstrap (real CDK CLI)", cdk.bootstrap)
    demo.step("cdk deploy --all (real CDK CLI, change sets)", cdk.deploy)
    outputs = stack_outputs(demo.client("cloudformation"))
    print("   Stack outputs:")
    for key in sorted(k for k in outputs if not k.startswith("Export")):
        print(f"   - {key} = {outputs[key]}")

    execution_input = console_input(outputs)
    print(f"\n== Console execution with {EXAMPLE.relative_to(REPOSITORY_ROOT)} (bucket names replaced by the deployed ones)")
    show(execution_input)
    sfn = demo.client("stepfunctions")
    execution_arn = sfn.start_execution(stateMachineArn=outputs["TrainingStateMachineArn"],
                                        input=json.dumps(execution_input))["executionArn"]
    execution = demo.step("Following the execution", lambda: follow(demo, execution_arn))
    print(f"   Execution {execution['status']}")
    if execution["status"] == "SUCCEEDED":
        show(json.loads(execution["output"]))
    else:
        print(f"   {execution.get('error')}: {execution.get('cause')}")

    total = time.monotonic() - demo.started
    print("\n== Summary")
    print(f"   {'OK' if execution['status'] == 'SUCCEEDED' else 'FAILED'}: deployed 2 stacks with the CDK CLI and "
          f"trained one job from {EXAMPLE.name} through the state machine, in {total:.0f} s")
    for title, seconds in demo.timings:
        print(f"   {seconds:6.1f} s  {title}")
    if keep:
        print(f"\n   The emulator keeps running. Explore it:\n"
              f"     export AWS_ENDPOINT_URL={endpoint_url(demo.port)} AWS_ACCESS_KEY_ID=testing "
              f"AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={DEFAULT_REGION}\n"
              f"     aws stepfunctions list-executions --state-machine-arn {outputs['TrainingStateMachineArn']}\n"
              f"     aws sagemaker list-training-jobs\n"
              f"     .venv/bin/python -m trainctl --help\n"
              f"   Stop it with: .venv/bin/python -m emulator stop --port {demo.port}")
    return 0 if execution["status"] == "SUCCEEDED" else 1


def _moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--keep", action="store_true", help="leave the emulator running to explore it")
    args = parser.parse_args(argv)
    demo = Demo(args.port)
    try:
        return run(demo, args.keep)
    except (DeploymentError, process.EmulatorError) as error:
        print(f"\ndemo failed: {error}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            process.stop(args.port)
            print("\n   Emulator stopped (rerun with --keep to explore it).")


if __name__ == "__main__":
    sys.exit(main())
