"""Do the deployed stacks match this checkout? The templates CloudFormation holds (as deployed) against
the ones this checkout synthesizes with the same settings.

Ignored, because it differs between a `cdk deploy` and an in-process synth without changing any
resource: the CDK's own metadata (construct paths, asset paths, the CDKMetadata resource). Not
ignored: a function's asset hash, which changes whenever lambda/ does, so a changed hash means the
deployed code is not this checkout's.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_CDK_METADATA_PREFIXES = ("aws:cdk:", "aws:asset:")
_CDK_METADATA_RESOURCE = "AWS::CDK::Metadata"
_CDK_METADATA_CONDITION = "CDKMetadataAvailable"
_FUNCTION = "AWS::Lambda::Function"


@dataclass(frozen=True)
class Synthesis:
    templates: Mapping[str, Mapping[str, Any]]  # by stack name
    seconds: float


def synthesize_checkout(context: Mapping[str, str]) -> Synthesis:
    """Build this checkout's CDK app in-process, as `cdk synth -c key=value ...` would, and read its templates."""
    started = time.monotonic()
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from app import build_app  # the CDK (and Node, through jsii) only when the doctor compares

    with tempfile.TemporaryDirectory(prefix="trainctl-doctor-") as outdir:
        assembly = build_app(dict(context), outdir=outdir).synth()
        templates = {
            stack.stack_name: json.loads((Path(outdir) / stack.template_file).read_text()) for stack in assembly.stacks
        }
    return Synthesis(templates, time.monotonic() - started)


def normalized(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template without what the CDK adds about itself."""
    resources = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == _CDK_METADATA_RESOURCE:
            continue
        metadata = {
            key: value
            for key, value in resource.get("Metadata", {}).items()
            if not key.startswith(_CDK_METADATA_PREFIXES)
        }
        resources[logical_id] = {key: value for key, value in resource.items() if key != "Metadata"} | (
            {"Metadata": metadata} if metadata else {}
        )
    result = {key: value for key, value in template.items() if key not in ("Resources", "Conditions")}
    conditions = {key: value for key, value in template.get("Conditions", {}).items() if key != _CDK_METADATA_CONDITION}
    return result | {"Resources": resources} | ({"Conditions": conditions} if conditions else {})


def differences(deployed: Mapping[str, Any], checkout: Mapping[str, Any]) -> list[str]:
    """What differs, named (resources by logical ID and the properties that differ); empty when equal."""
    deployed, checkout = normalized(deployed), normalized(checkout)
    found: list[str] = []
    deployed_resources, checkout_resources = deployed["Resources"], checkout["Resources"]
    changed = [
        f"{logical_id} ({_what_differs(deployed_resources[logical_id], checkout_resources[logical_id])})"
        for logical_id in sorted(deployed_resources.keys() & checkout_resources.keys())
        if deployed_resources[logical_id] != checkout_resources[logical_id]
    ]
    if changed:
        found.append(
            ("1 resource differs: " if len(changed) == 1 else f"{len(changed)} resources differ: ") + ", ".join(changed)
        )
    only_deployed = sorted(deployed_resources.keys() - checkout_resources.keys())
    if only_deployed:
        found.append("deployed only: " + ", ".join(only_deployed))
    only_checkout = sorted(checkout_resources.keys() - deployed_resources.keys())
    if only_checkout:
        found.append("not deployed yet: " + ", ".join(only_checkout))
    for section in sorted((deployed.keys() | checkout.keys()) - {"Resources"}):
        if deployed.get(section) != checkout.get(section):
            found.append(f"{section} differ: " + _entries_that_differ(deployed.get(section), checkout.get(section)))
    return found


def _what_differs(deployed: Mapping[str, Any], checkout: Mapping[str, Any]) -> str:
    parts = []
    for key in sorted(deployed.keys() | checkout.keys()):
        if deployed.get(key) == checkout.get(key):
            continue
        if key == "Properties" and isinstance(deployed.get(key), dict) and isinstance(checkout.get(key), dict):
            parts.extend(_property_differences(deployed, checkout))
        else:
            parts.append(key)
    return ", ".join(parts)


def _property_differences(deployed: Mapping[str, Any], checkout: Mapping[str, Any]) -> list[str]:
    before, after = deployed["Properties"], checkout["Properties"]
    names = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    if checkout.get("Type") == _FUNCTION and "Code" in names:
        names[names.index("Code")] = "Code: the deployed function's code is not this checkout's lambda/"
    return names


def _entries_that_differ(deployed: object, checkout: object) -> str:
    if isinstance(deployed, dict) and isinstance(checkout, dict):
        return ", ".join(
            sorted(key for key in deployed.keys() | checkout.keys() if deployed.get(key) != checkout.get(key))
        )
    return "the whole section"


def deployed_template(cloudformation: Any, stack_name: str) -> Mapping[str, Any]:
    """The template as it was deployed (not as CloudFormation processed it)."""
    body = cloudformation.get_template(StackName=stack_name, TemplateStage="Original")["TemplateBody"]
    # botocore decodes a JSON body into a dict; a string left is YAML, which the CDK never deploys.
    if isinstance(body, str):
        raise ValueError(f"stack {stack_name}'s template is not JSON: it was not deployed by the CDK")
    return dict(body)
