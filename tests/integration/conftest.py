"""One emulator per test session (its own free port and state directory), stopped at the end
whatever happens; the platform deployed into it once, with the real CDK CLI, when a test asks; and
the bucket and role the adapter tests make their jobs and functions with, and a SageMaker SDK session
talking to the emulator, once per test module."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from adapter_resources import unique
from botocore.config import Config
from permissions.recorded_calls import ReplacedDeployment

from emulator import DEFAULT_REGION, client_environment, endpoint_url, process
from emulator.deployment import CdkRunner, stack_outputs

TRAINING_SECONDS = "2"
_TESTS = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.integration


# The order of the session's phases: the tests of the first deployment; those that redeploy it with other
# settings for the calls they make (and leave it working); the judge of every call made so far; last the
# destructive ones.
_PHASES = ("redeploys", "judges_calls", "destructive")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "redeploys: redeploys the session's deployment with other settings; runs after the other tests"
    )
    config.addinivalue_line(
        "markers", "judges_calls: judges the calls recorded so far; runs after every test but the destructive ones"
    )
    config.addinivalue_line(
        "markers", "destructive: changes or removes the session's shared deployment; runs after every other test"
    )


def _phase(item: pytest.Item) -> int:
    marked = [index for index, name in enumerate(_PHASES, start=1) if item.get_closest_marker(name) is not None]
    return max(marked, default=0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Integration tests are marked `integration`; the phases (_PHASES) run in order, each in file order, so
    no test finds the deployment changed under it and the judge sees every call but the destructive tests'."""
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
    items.sort(key=_phase)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Emulator:
    port: int
    state_dir: Path
    region: str = DEFAULT_REGION

    @property
    def endpoint(self) -> str:
        return endpoint_url(self.port)

    def environment(self) -> dict[str, str]:
        return client_environment(self.port, self.region)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            # Tests put many objects or events at once from a pool of threads sharing the client.
            config=Config(retries={"max_attempts": 2}, max_pool_connections=32),
        )


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    state_dir = tmp_path_factory.mktemp("emulator")
    port = _free_port()
    environment = dict(os.environ, EMULATOR_TRAINING_SECONDS=TRAINING_SECONDS)
    process.start(port, state_dir, environment)
    try:
        yield Emulator(port, state_dir)
    finally:
        process.stop(port, state_dir)


@dataclass(frozen=True)
class Platform:
    """The deployed app: its stack outputs and the CLI runner that deployed it."""

    outputs: dict[str, str]
    cdk: CdkRunner

    @property
    def state_machine_arn(self) -> str:
        return next(v for k, v in self.outputs.items() if k.endswith("StateMachineArn"))


@pytest.fixture(scope="session")
def platform(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Platform:
    cdk = CdkRunner(emulator.port, tmp_path_factory.mktemp("cdk.out"))
    cdk.bootstrap()
    # An execution that follows its own job without `.sync` describes it every second, not every minute.
    cdk.deploy({"job_poll_seconds": 1})
    return Platform(stack_outputs(emulator.client("cloudformation")), cdk)


@pytest.fixture(scope="session")
def replaced_deployments() -> list[ReplacedDeployment]:
    """The deployments tests replaced by redeploying (each added before its redeploy), oldest first: the judge of
    the recorded calls judges the calls made under each against its stacks."""
    return []


@pytest.fixture(scope="module")
def output_bucket(emulator: Emulator) -> str:
    name = unique("artifacts")
    emulator.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": emulator.region})
    return name


@pytest.fixture(scope="module")
def sdk_session(emulator: Any) -> Iterator[Any]:
    """A sagemaker.Session whose clients (and the ones the SDK builds itself) talk to the emulator."""
    variables = {
        **{k: v for k, v in emulator.environment().items() if k.startswith("AWS_")},
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_PROFILE", raising=False)
        for name, value in variables.items():
            patch.setenv(name, value)
        # The parity oracle's isolation (tests/ is no package: site-packages already has a `tests`).
        patch.syspath_prepend(str(_TESTS))
        from parity.sdk_oracle import isolated_sdk

        with isolated_sdk():
            import sagemaker

            yield sagemaker.Session(boto_session=boto3.Session(region_name=emulator.region))


@pytest.fixture(scope="module")
def lambda_role(emulator: Emulator) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}
        ],
    }
    return emulator.client("iam").create_role(RoleName=unique("function"), AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
