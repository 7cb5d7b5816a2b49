#!/usr/bin/env python3
"""The CDK app: the stateful stack (key, buckets, repository) and the training stack that uses it.

Run by `cdk synth`/`cdk deploy` (cdk.json's "app"), or directly: `python app.py` synthesizes to cdk.out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

import stacks  # noqa: F401 - first: it puts lambda/ (the Lambda asset, home of the contract) on the path
from platform_contract import COST_TAG_KEY, COST_TAG_VALUE
from stacks.settings import PlatformSettings, SettingsError
from stacks.stateful_stack import StatefulStack
from stacks.training_stack import TrainingStack

PROJECT_ROOT = Path(__file__).resolve().parent


def cdk_json_context() -> dict[str, object]:
    """cdk.json's context: the defaults of every setting (and the CDK feature flags)."""
    return dict(json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"])


def build_app(context: Mapping[str, object] | None = None, outdir: str | None = None, region: str | None = None) -> App:
    """Build the whole app. `context` overrides cdk.json's (as `-c key=value` does); the CLI's context wins.

    The stacks are environment-agnostic (deployed wherever the CLI's credentials point) unless `region` pins
    them to one, as the partition tests do (an ARN then carries that region's partition, aws-cn, aws-us-gov).

    Raises SettingsError, naming every bad key, before any construct is created.
    """
    app = App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    settings = PlatformSettings.from_context(app.node.get_all_context())
    # A CDK Nag finding that is not acknowledged (with a reason, next to the resource) fails the synth.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))

    stateful = StatefulStack(
        app,
        settings.stateful_stack_name,
        settings=settings,
        description="Training platform data: KMS key, S3 buckets, ECR repository (all retained on destroy)",
        analytics_reporting=False,
        env=Environment(region=region) if region else None,
    )
    training = TrainingStack(
        app,
        settings.training_stack_name,
        settings=settings,
        stateful=stateful.references,
        description="Training platform: SageMaker execution role and training workflow",
        analytics_reporting=False,
        env=Environment(region=region) if region else None,
    )
    training.add_stack_dependency(stateful, "uses the key, repository and buckets through the stateful stack's exports")
    Tags.of(app).add(COST_TAG_KEY, COST_TAG_VALUE)
    return app


def main() -> int:
    try:
        app = build_app()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
