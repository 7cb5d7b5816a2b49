"""Bootstrap, deploy and destroy the project's CDK app in the emulator, with the real CDK CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import ACCOUNT_ID, DEFAULT_REGION, REPOSITORY_ROOT, client_environment

CDK_COMMAND = ("npx", "--no-install", "cdk")
# A deploy of both stacks takes well under a minute; a CLI still running after this has hung.
CDK_TIMEOUT_SECONDS = 600.0
# The CDK CLI's offline settings, which the Makefile includes, for every run of the CLI that does not come
# through make (this runner, the infrastructure tests, the synth benchmark).
OFFLINE_CDK_ENVIRONMENT_FILE = Path(__file__).with_name("offline-cdk.mk")


def _exported_variables(makefile: Path) -> dict[str, str]:
    """The variables of a make file made only of `export NAME := value` lines (blank lines and `#`
    comment lines aside); any other line is an error, so the file stays what this reader understands."""
    variables: dict[str, str] = {}
    for number, line in enumerate(makefile.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        exported = re.fullmatch(r"export ([A-Za-z_][A-Za-z0-9_]*) := (\S+)", line)
        if exported is None:
            raise ValueError(f"{makefile}:{number}: expected `export NAME := value`, got {line!r}")
        variables[exported[1]] = exported[2]
    return variables


OFFLINE_CDK_ENVIRONMENT = _exported_variables(OFFLINE_CDK_ENVIRONMENT_FILE)
_CAPTURED_OUTPUT = {
    "NODE_NO_WARNINGS": "1",  # the AWS SDK's "node >= 22 soon" notice on every call
    "CI": "true",  # no interactive progress bars in captured output
}


class DeploymentError(RuntimeError):
    """A CDK CLI command failed; the message carries the end of its output."""


# The CDK CLI's cache (jsii's unpacked modules), inside the project, as the Makefile's CDK_HOME.
CDK_HOME = REPOSITORY_ROOT / ".cdk-home"


@dataclass(frozen=True)
class CdkRunner:
    port: int
    output_dir: Path  # the cloud assembly (kept apart from ./cdk.out)
    region: str = DEFAULT_REGION
    cdk_home: Path = CDK_HOME
    timeout_seconds: float = CDK_TIMEOUT_SECONDS
    command: tuple[str, ...] = CDK_COMMAND

    def environment(self) -> dict[str, str]:
        environment = client_environment(self.port, self.region)
        environment.update(OFFLINE_CDK_ENVIRONMENT, **_CAPTURED_OUTPUT)
        environment.setdefault("CDK_HOME", str(self.cdk_home))
        return environment

    def run(self, arguments: Sequence[str], context: Mapping[str, Any] | None = None) -> str:
        command = [*self.command, *arguments, "--output", str(self.output_dir)]
        for key, value in (context or {}).items():
            command += ["--context", f"{key}={value}"]
        # Its own process group: on timeout npx's node children are killed too (they hold the pipes).
        cli = subprocess.Popen(
            command,
            cwd=REPOSITORY_ROOT,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = cli.communicate(timeout=self.timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(cli.pid, signal.SIGKILL)
            stdout, stderr = cli.communicate()
            tail = "\n".join((stdout + stderr).strip().splitlines()[-25:])
            raise DeploymentError(
                f"`cdk {' '.join(arguments)}` did not finish in {self.timeout_seconds:.0f} s "
                f"and was stopped (a hung CDK CLI?); its last output:\n{tail}"
            ) from None
        output = stdout + stderr
        if cli.returncode != 0:
            tail = "\n".join(output.strip().splitlines()[-25:])
            raise DeploymentError(f"`cdk {' '.join(arguments)}` failed (exit {cli.returncode}):\n{tail}")
        return output

    def bootstrap(self) -> str:
        return self.run(["bootstrap", f"aws://{ACCOUNT_ID}/{self.region}"])

    def deploy(self, context: Mapping[str, Any] | None = None) -> str:
        return self.run(["deploy", "--all", "--require-approval", "never"], context)

    def destroy(self, context: Mapping[str, Any] | None = None) -> str:
        return self.run(["destroy", "--all", "--force"], context)


def stack_outputs(cloudformation: Any) -> dict[str, str]:
    """Every output of every deployed stack, by output key."""
    outputs: dict[str, str] = {}
    for stack in cloudformation.describe_stacks()["Stacks"]:
        for output in stack.get("Outputs", []):
            outputs[output["OutputKey"]] = output["OutputValue"]
    return outputs


__all__ = ["CdkRunner", "DeploymentError", "stack_outputs"]
