"""Shared synthesis fixtures for the infrastructure tests.

`synthesized_app` runs the real `cdk synth` (the pinned CLI, cdk.json, no AWS credentials) once per test
session; `synthesize_variant(**context)` builds the app in-process with context overrides, as
`-c key=value` would, cached per set of overrides.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from emulator.deployment import OFFLINE_CDK_ENVIRONMENT

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Variables that could give the CDK CLI credentials, a profile or a region to go online with.
_AWS_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
)


def offline_cdk_environment(home: Path) -> dict[str, str]:
    """The environment of a fresh machine without AWS credentials (as the Makefile sets it up)."""
    env = {k: v for k, v in os.environ.items() if k not in _AWS_CREDENTIAL_VARIABLES}
    env.update(
        OFFLINE_CDK_ENVIRONMENT,
        CDK_HOME=str(home),
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        # No network: anything that tried to go online would meet a closed port.
        HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
        NO_PROXY="",
        no_proxy="",
    )
    return env


def _run_cdk(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npx", "--no-install", "cdk", *args],
        cwd=PROJECT_ROOT,
        env=offline_cdk_environment(home),
        capture_output=True,
        text=True,
        timeout=180,
    )


@dataclass
class SynthesizedApp:
    outdir: Path
    templates: dict[str, dict] = field(default_factory=dict)  # by stack name

    @classmethod
    def load(cls, outdir: Path) -> SynthesizedApp:
        return cls(
            outdir,
            {p.name.removesuffix(".template.json"): json.loads(p.read_text()) for p in outdir.glob("*.template.json")},
        )

    def template(self, role: str) -> dict:
        """The template of the stack whose name ends with `-<role>` ("stateful", "training")."""
        matches = [t for name, t in self.templates.items() if name.endswith(f"-{role}")]
        assert len(matches) == 1, f"expected one '{role}' stack, found {sorted(self.templates)}"
        return matches[0]

    def resources(self, role: str, resource_type: str) -> dict[str, dict]:
        return {k: r for k, r in self.template(role)["Resources"].items() if r["Type"] == resource_type}

    def all_resources(self) -> Iterator[tuple[str, str, dict]]:
        for stack, template in self.templates.items():
            for logical_id, resource in template["Resources"].items():
                yield stack, logical_id, resource


@pytest.fixture(scope="session")
def offline_cdk_env() -> Callable[[Path], dict[str, str]]:
    """The offline environment `run_cdk` uses, for tests that change one of its variables."""
    return offline_cdk_environment


@pytest.fixture(scope="session")
def run_cdk() -> Callable[[list[str], Path], subprocess.CompletedProcess[str]]:
    """Run the pinned CDK CLI from the project root, offline, with CDK_HOME under the given directory."""
    return _run_cdk


@pytest.fixture(scope="session")
def synthesized_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """`cdk synth` of the whole app with cdk.json's settings, offline and without credentials."""
    home = tmp_path_factory.mktemp("cdk-home")
    outdir = tmp_path_factory.mktemp("cdk.out")
    result = _run_cdk(["synth", "--quiet", "--output", str(outdir)], home)
    assert result.returncode == 0, f"cdk synth failed:\n{result.stdout}\n{result.stderr}"
    return SynthesizedApp.load(outdir)


@pytest.fixture(scope="session")
def synthesize_variant() -> Callable[..., SynthesizedApp]:
    """Build and synthesize the app in-process with context overrides (values as `-c` gives them)."""
    from app import build_app

    cache: dict[str, SynthesizedApp] = {}
    workdir = Path(tempfile.mkdtemp(prefix="cdk-variants-"))

    def synthesize(**context: object) -> SynthesizedApp:
        key = json.dumps(context, sort_keys=True)
        if key not in cache:
            outdir = workdir / str(len(cache))
            # As the CLI does: construct paths in the templates' metadata.
            build_app({"aws:cdk:enable-path-metadata": True, **context}, outdir=str(outdir)).synth()
            cache[key] = SynthesizedApp.load(outdir)
        return cache[key]

    return synthesize


# Every setting away from its cdk.json default, to see each one reach the templates (one synthesis for all).
CUSTOMISED_SETTINGS: dict[str, str] = {
    "prefix": "team",
    "environment": "prod",
    "default_image_tag": "v7",
    "checkpoint_retention_days": "3",
    "tensorboard_retention_days": "400",
    "kms_key_arn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "vpc_subnet_ids": "subnet-0123abcd,subnet-4567ef01",
    "vpc_security_group_ids": '["sg-0123abcd"]',
    "extra_readable_buckets": "shared-datasets,reference-models",
    "extra_kms_key_arns": "arn:aws:kms:eu-west-1:210987654321:key/0000aaaa-11bb-22cc-33dd-444455556666",
    "extra_image_repositories": "210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared/base",
    "ecr_tag_mutability": "IMMUTABLE",
}


@pytest.fixture(scope="session")
def customised_app(synthesize_variant: Callable[..., SynthesizedApp]) -> SynthesizedApp:
    """The app synthesized with CUSTOMISED_SETTINGS given as `-c key=value` strings."""
    return synthesize_variant(**CUSTOMISED_SETTINGS)
