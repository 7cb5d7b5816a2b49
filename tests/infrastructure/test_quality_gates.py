"""Gates on the synthesized app as a whole: CER tags, cdk-nag, cfn-lint, environment-agnostic stacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import RemovalPolicy, Validations
from aws_cdk import aws_s3 as s3
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from app import build_app


def tag_property(resource_type: str) -> str | None:
    """The property a CloudFormation resource type takes tags in, per its registry schema, or None."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    tagging = schema.get("tagging", {})
    if tagging.get("taggable") is False:
        return None
    if "tagProperty" in tagging:
        return tagging["tagProperty"].removeprefix("/properties/")
    return "Tags" if "Tags" in schema.get("properties", {}) else None


def tags_of(value: object) -> dict[str, str]:
    if isinstance(value, dict):  # some types take tags as a map
        return dict(value)
    assert isinstance(value, list)
    return {tag["Key"]: tag["Value"] for tag in value}


@pytest.mark.parametrize("variant", ["defaults", "customised"])
def test_every_taggable_resource_carries_cer_1(synthesized_app, customised_app, variant: str) -> None:
    app = synthesized_app if variant == "defaults" else customised_app
    taggable = 0
    for stack, logical_id, resource in app.all_resources():
        if resource["Type"].startswith("Custom::") or resource["Type"] == "AWS::CDK::Metadata":
            continue
        prop = tag_property(resource["Type"])
        if prop is None:
            continue
        taggable += 1
        tags = tags_of(resource.get("Properties", {}).get(prop, []))
        assert tags.get("CER") == "1", f"{stack}/{logical_id} ({resource['Type']}) lacks the CER=1 tag"
    assert taggable >= 6


def test_stacks_are_environment_agnostic(synthesized_app) -> None:
    # No account or region looked up or baked in: synthesizes without credentials, deploys anywhere.
    manifest = json.loads((synthesized_app.outdir / "manifest.json").read_text())
    stacks = {name: a for name, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}
    assert sorted(stacks) == ["mltrain-dev-stateful", "mltrain-dev-training"]
    for artifact in stacks.values():
        assert artifact["environment"] == "aws://unknown-account/unknown-region"
    assert "mltrain-dev-stateful" in stacks["mltrain-dev-training"]["dependencies"]


def test_cdk_nag_reports_nothing_unacknowledged(synthesized_app) -> None:
    # The synth succeeded (the fixture asserts it); its report lists no plugin finding.
    report = json.loads((synthesized_app.outdir / "validation-report.json").read_text())
    assert report["pluginReports"] == []


def test_cdk_nag_fails_the_synth_on_a_new_finding(tmp_path) -> None:
    app = build_app(outdir=str(tmp_path))
    stateful = next(stack for stack in app.node.children if stack.node.id.endswith("-stateful"))
    # A bucket without TLS enforcement or access logs: AwsSolutions-S1 and -S10.
    s3.Bucket(stateful, "CarelessBucket", removal_policy=RemovalPolicy.RETAIN)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def test_every_acknowledgment_has_a_reason() -> None:
    app = build_app({"vpc_subnet_ids": "subnet-0123abcd", "vpc_security_group_ids": "sg-0123abcd"})
    acknowledgments = {
        (construct.node.path, rule): reason
        for construct in app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule, reason in entry.data.items()
    }
    assert acknowledgments
    for (path, rule), reason in acknowledgments.items():
        assert rule.startswith("Annotation::AwsSolutions-"), (path, rule)
        assert len(reason.split()) >= 8, f"{path}: {rule} needs a real reason, not {reason!r}"


def test_cfn_lint_finds_no_error(synthesized_app, customised_app) -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    for app in (synthesized_app, customised_app):
        templates = sorted(str(p) for p in app.outdir.glob("*.template.json"))
        assert len(templates) == 2
        result = subprocess.run([cfn_lint, "--non-zero-exit-code", "error", *templates], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
