"""Where the deployed platform is: stack name and region, then the state machine in its outputs.

Stack and region come, first found wins, from: explicit arguments (the CLI's --stack/--region),
the environment (TRAINCTL_STACK; AWS_REGION or AWS_DEFAULT_REGION), the config file
(TRAINCTL_CONFIG, else $XDG_CONFIG_HOME/trainctl/config.toml, else ~/.config/trainctl/config.toml)
with `stack = "..."` and `region = "..."`; then, for the stack, the training stack of this
checkout's default deployment (`<prefix>-<environment>-training` from cdk.json's context) and, for
the region, the AWS profile's own setting.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from trainctl.errors import PlatformError

PROJECT_CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"
STATE_MACHINE_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$")


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
        return f"{context['prefix']}-{context['environment']}-training"
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
    if not stack_name and not environ.get("TRAINCTL_STACK") or not region:
        config = _read_config(config_path(environ))
    stack = stack_name or environ.get("TRAINCTL_STACK") or config.get("stack") or default_stack_name()
    chosen_region = (
        region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or config.get("region") or profile_region
    )
    if not isinstance(stack, str) or not stack:
        raise PlatformError(
            "no platform stack given: use --stack NAME, set TRAINCTL_STACK, "
            f'or write stack = "NAME" in {config_path(environ)}'
        )
    if not isinstance(chosen_region, str) or not chosen_region:
        raise PlatformError(
            "no AWS region given: use --region R, set AWS_REGION, "
            f'or write region = "R" in {config_path(environ)}'
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
    """The training workflow's ARN among the stack outputs (found by its value, not its key's name)."""
    candidates = sorted(key for key, value in outputs.items() if STATE_MACHINE_ARN.match(value))
    if not candidates:
        raise PlatformError(
            f"stack {location.stack_name!r} in {location.region} has no state machine among its outputs "
            f"({', '.join(sorted(outputs)) or 'none'}): is it the training stack, fully deployed?"
        )
    # Several state machines: the one whose output key says it is the training workflow.
    preferred = [key for key in candidates if "train" in key.lower()] or candidates
    return outputs[preferred[0]]
