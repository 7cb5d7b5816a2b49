"""The catalogue of expected calls as data: its patterns take the deployment's facts (a list fact gives one
call per item, none when empty), its examples are concrete ARNs the patterns cover, and its cross-references
hold. (Whether it agrees with the stacks' policies: test_trainctl_doctor's healthy accounts.)"""

from __future__ import annotations

import pytest

from trainctl.doctor.catalogue import (
    EXAMPLE_NAME,
    EXECUTION_ROLE,
    KEY_POLICY_GRANTS,
    PRINCIPALS,
    RULE_TARGETS,
    Call,
    Context,
    MissingFact,
    example,
    logical_id_stem,
    matches,
    resolve,
)

FACTS = {"partition": "aws", "region": "eu-west-1", "account": "123456789012", "subnet": ("subnet-1", "subnet-2")}


def test_a_list_fact_gives_one_call_per_item_and_none_when_empty():
    call = Call(("ec2:CreateNetworkInterface",), "arn:{partition}:ec2:{region}:{account}:subnet/{subnet}", "why")

    resolved = [c.resource for c in resolve(call, FACTS)]

    assert resolved == [
        "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1",
        "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-2",
    ]
    assert list(resolve(call, {**FACTS, "subnet": ()})) == []


def test_context_values_take_facts_and_when_needs_a_true_fact():
    call = Call(
        ("kms:Decrypt",), "*", "why", context=(Context("kms:ViaService", ("s3.{region}.amazonaws.com",)),), when="vpc"
    )

    assert list(resolve(call, {**FACTS, "vpc": False})) == []
    (resolved,) = resolve(call, {**FACTS, "vpc": True})
    assert resolved.context == (Context("kms:ViaService", ("s3.eu-west-1.amazonaws.com",)),)


def test_a_pattern_naming_an_unknown_fact_is_an_error_not_a_silent_skip():
    with pytest.raises(MissingFact):
        list(resolve(Call(("s3:GetObject",), "arn:aws:s3:::{bucket}/*", "why"), FACTS))


@pytest.mark.parametrize(
    ("pattern", "concrete"),
    [
        ("*", "*"),
        ("arn:aws:s3:::data/requests/*.result.json", f"arn:aws:s3:::data/requests/{EXAMPLE_NAME}.result.json"),
        ("arn:aws:logs:r:a:log-group:g:log-stream:*", f"arn:aws:logs:r:a:log-group:g:log-stream:{EXAMPLE_NAME}"),
    ],
)
def test_an_example_is_a_concrete_resource_its_pattern_covers(pattern, concrete):
    assert example(pattern) == concrete
    assert matches(pattern, concrete)


def test_matching_is_iam_wildcard_matching():
    assert matches("arn:aws:s3:::b/requests/*", "arn:aws:s3:::b/requests/a/b.json")
    assert not matches("arn:aws:s3:::b/requests/*", "arn:aws:s3:::b/other.json")
    assert matches("kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext")
    assert matches("a?c", "abc") and not matches("a?c", "ac")
    assert not matches("arn:aws:s3:::b.[x]", "arn:aws:s3:::b.x")  # regex characters are literal


def test_logical_ids_lose_the_cdk_hash_only():
    assert logical_id_stem("TrainingWorkflowPrepareRoleACF008E5") == "TrainingWorkflowPrepareRole"
    assert logical_id_stem("CDKMetadata") == "CDKMetadata"


def test_cross_references_hold():
    roles = [principal.role for principal in PRINCIPALS]
    assert len(set(roles)) == len(roles)
    assert {target.role for target in RULE_TARGETS.values()} - {None} <= set(roles)
    # The account's root must be let use every KMS action a role's policy grants it.
    root = next(grant for grant in KEY_POLICY_GRANTS if grant.principal.endswith(":root"))
    granted = {a for p in PRINCIPALS for c in p.calls if c.allowed for a in c.actions if a.startswith("kms:")}
    assert set(root.actions) == granted
    assert {"kms:Decrypt", "kms:CreateGrant"} <= granted


def test_every_principal_is_refused_something_it_must_not_do():
    for principal in PRINCIPALS:
        assert any(not call.allowed for call in principal.calls), principal.role
    assert any(call.when == "vpc" for call in EXECUTION_ROLE.calls)
