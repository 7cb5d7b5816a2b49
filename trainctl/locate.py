"""Where the deployed platform is: stack name and region, then what its outputs name.

Stack and region come, first found wins, from: explicit arguments (the CLI's --stack/--region),
the environment (TRAINCTL_STACK; AWS_REGION or AWS_DEFAULT_REGION), the config file
(TRAINCTL_CONFIG, else $XDG_CONFIG_HOME/trainctl/config.toml, else ~/.config/trainctl/config.toml)
with `stack = "..."` and `region = "..."`; then, for the stack, the training stack of this
checkout's default deployment (platform_contract.training_stack_name of cdk.json's prefix and
environment) and, for the region, the AWS profile's own setting.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from platform_contract import TrainingStackOutput, training_stack_name
from trainctl.errors import PlatformError

PROJECT_CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


@dataclass(frozen=True)
class PlatformLocation:
    stack_name: str
    region: str


def config_path(environ: Mapping[str, str]) -> Path:
    if environ.get("TRAINCTL_CONFIG"):
        return Path(environ["TRAINCTL_CONFIG"])
    base = Path(environ["XDG_CONFIG_HOME"]) if environ.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "trainctl" / "config.toml"


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PlatformError(f"config file {path}: {error}") from None


def default_stack_name(cdk_json: Path = PROJECT_CDK_JSON) -> str | None:
    """The training stack app.py names from cdk.json's defaults, when trainctl runs from a checkout."""
    try:
        context = json.loads(cdk_json.read_text())["context"]
        return training_stack_name(context["prefix"], context["environment"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def resolve_location(
    stack_name: str | None = None,
    region: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    profile_region: str | None = None,
) -> PlatformLocation:
    """The stack and region to use; raises PlatformError saying how to set what is missing."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    if (not stack_name and not environ.get("TRAINCTL_STACK")) or not region:
        config = _read_config(config_path(environ))
    stack = stack_name or environ.get("TRAINCTL_STACK") or config.get("stack") or default_stack_name()
    chosen_region = (
        region
        or environ.get("AWS_REGION")
        or environ.get("AWS_DEFAULT_REGION")
        or config.get("region")
        or profile_region
    )
    if not isinstance(stack, str) or not stack:
        raise PlatformError(
            "no platform stack given: use --stack NAME, set TRAINCTL_STACK, "
            f'or write stack = "NAME" in {config_path(environ)}'
        )
    if not isinstance(chosen_region, str) or not chosen_region:
        raise PlatformError(
            f'no AWS region given: use --region R, set AWS_REGION, or write region = "R" in {config_path(environ)}'
        )
    return PlatformLocation(stack, chosen_region)


def stack_outputs(cloudformation: Any, location: PlatformLocation) -> dict[str, str]:
    try:
        stacks = cloudformation.describe_stacks(StackName=location.stack_name)["Stacks"]
    except ClientError as error:
        if "does not exist" in error.response.get("Error", {}).get("Message", ""):
            raise PlatformError(
                f"stack {location.stack_name!r} not found in {location.region}: "
                "deploy the platform or pick its stack with --stack / TRAINCTL_STACK"
            ) from None
        raise
    return {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}


def state_machine_arn(outputs: Mapping[str, str], location: PlatformLocation) -> str:
    """The training workflow's ARN, the stack's TrainingStackOutput.STATE_MACHINE_ARN output."""
    key = TrainingStackOutput.STATE_MACHINE_ARN.value
    if key not in outputs:
        raise PlatformError(
            f"stack {location.stack_name!r} in {location.region} has no output {key} "
            f"(its outputs: {', '.join(sorted(outputs)) or 'none'}): is it the training stack, fully deployed?"
        )
    return outputs[key]


def prepare_function_name(outputs: Mapping[str, str]) -> str | None:
    """The Prepare Lambda, whose environment holds the defaults the workflow applies (None from a stack
    deployed before the training stack had that output)."""
    return outputs.get(TrainingStackOutput.PREPARE_FUNCTION_NAME.value)
