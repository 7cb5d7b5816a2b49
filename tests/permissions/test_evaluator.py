"""The evaluator itself: requests it cannot fully understand fail rather than pass, service principals are
judged against resource and trust policies, and a call the emulator recorded (RECORD_FORMAT: principal,
action, resource, resource account, context) is judged like any other."""

from __future__ import annotations

from permissions.deployed_stacks import FAKE_ACCOUNT, FAKE_REGION
from permissions.evaluator import ERROR, NOT_JUDGED, judge, request_of, summary
from permissions.fake_platform import TLS
from permissions.policies import AccountPolicies, Request


def test_a_context_key_the_simulator_ignores_and_a_condition_tests_makes_the_verdict_a_failure():
    # The simulator knows no kms:EncryptionContext:<key>: a condition on it would never be evaluated.
    role, key = f"arn:aws:iam::{FAKE_ACCOUNT}:role/r", f"arn:aws:kms:{FAKE_REGION}:{FAKE_ACCOUNT}:key/k"
    condition = {"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::data/*"}}
    statement = {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": key}
    policies = AccountPolicies(
        identity={
            role: [
                {
                    "name": "p",
                    "policy": {"Version": "2012-10-17", "Statement": [{**statement, **{"Condition": condition}}]},
                }
            ]
        }
    )
    key_policy = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{FAKE_ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    unconditioned = AccountPolicies(
        identity={role: [{"name": "p", "policy": {"Version": "2012-10-17", "Statement": [statement]}}]},
        resource_statements={key: [key_policy]},
    )
    request = Request(
        role,
        "kms:GenerateDataKey",
        key,
        FAKE_ACCOUNT,
        {**TLS, "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::data/a"},
    )

    (tested,) = judge(policies, [request])
    (untested,) = judge(unconditioned, [request])

    assert tested.ignored_context_keys == ("kms:EncryptionContext:aws:s3:arn",)
    assert not tested.allowed and not tested.refused
    assert "which a condition tests: kms:EncryptionContext:aws:s3:arn" in tested.described()
    assert untested.allowed and untested.untested_ignored_keys == ("kms:EncryptionContext:aws:s3:arn",)


def test_an_action_iam_does_not_know_is_an_error_not_a_refusal(platform):
    request = Request(platform.role("ExecutionRole"), "s3:ReadEverything", "*", FAKE_ACCOUNT, TLS)

    (verdict,) = judge(platform.policies, [request])

    assert verdict.result == ERROR
    assert not verdict.allowed and not verdict.refused


def test_a_service_assuming_a_role_is_judged_against_the_trust_policy(platform):
    execution_role = platform.role("ExecutionRole")

    allowed, refused = judge(
        platform.policies,
        [
            Request(
                "sagemaker.amazonaws.com",
                "sts:AssumeRole",
                execution_role,
                FAKE_ACCOUNT,
                {"aws:SourceAccount": FAKE_ACCOUNT},
                principal_type="service",
            ),
            Request(
                "lambda.amazonaws.com",
                "sts:AssumeRole",
                execution_role,
                FAKE_ACCOUNT,
                {"aws:SourceAccount": FAKE_ACCOUNT},
                principal_type="service",
            ),
        ],
    )

    assert allowed.allowed, allowed.described()
    assert refused.refused, refused.described()


def test_a_lambda_permission_resource_is_the_functions_resource_policy(platform):
    notify = platform.facts["notify_function"]
    function = f"arn:aws:lambda:{FAKE_REGION}:{FAKE_ACCOUNT}:function:{notify}"
    rule = platform.arn("-training", "MonitoringJobStateRule", "AWS::Events::Rule")

    (verdict,) = judge(
        platform.policies,
        [
            Request(
                "events.amazonaws.com",
                "lambda:InvokeFunction",
                function,
                FAKE_ACCOUNT,
                {"aws:SourceArn": rule, "aws:SourceAccount": FAKE_ACCOUNT},
                principal_type="service",
            )
        ],
    )

    assert verdict.allowed, verdict.described()


def test_a_recorded_call_is_judged_with_its_principal_resource_and_context(platform):
    data = platform.facts["data_bucket"]
    record = {
        "sequence": 17,
        "time": "2026-11-30T23:40:01.123Z",
        "principal": platform.role("TrainingWorkflowPrepareRole"),
        "principal_type": "role",
        "by": "Prepare function (TrainingWorkflowPrepare)",
        "action": "s3:GetObject",
        "resource": f"arn:aws:s3:::{data}/requests/gan.json",
        "resource_account": FAKE_ACCOUNT,
        "context": {"aws:SecureTransport": "true"},
        "via": None,
        "outcome": "ok",
    }
    plain_http = {**record, "context": {"aws:SecureTransport": "false"}}

    allowed, refused = judge(platform.policies, [request_of(record), request_of(plain_http)])

    assert allowed.allowed, allowed.described()
    assert refused.refused and "an explicit Deny" in refused.explanation, refused.described()
    assert "Prepare function" in refused.described()


def test_a_role_attaching_a_policy_the_templates_do_not_hold_is_not_judged():
    role = f"arn:aws:iam::{FAKE_ACCOUNT}:role/r"
    policies = AccountPolicies(identity={role: []}, unknown_managed={role: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]})

    (verdict,) = judge(policies, [Request(role, "s3:GetObject", "arn:aws:s3:::b/k", FAKE_ACCOUNT)])

    assert verdict.result == NOT_JUDGED and "ReadOnlyAccess" in verdict.explanation
    assert not verdict.allowed and not verdict.refused


def test_the_summary_counts_calls_judged_allowed_and_denied_by_principal(platform):
    role = platform.role("MonitoringNotifyRole")
    topic = platform.facts["topic_arn"]
    verdicts = judge(
        platform.policies,
        [
            Request(role, "sns:Publish", topic, FAKE_ACCOUNT, TLS),
            Request(role, "sns:Publish", topic, FAKE_ACCOUNT, {"aws:SecureTransport": "false"}),
            Request(role, "sns:Publish", f"arn:aws:sns:{FAKE_REGION}:{FAKE_ACCOUNT}:x", FAKE_ACCOUNT, TLS),
        ],
    )

    text = summary(verdicts, "calls")

    assert text.splitlines()[0] == "calls: 3 calls judged, 1 allowed, 2 denied"
    assert text.splitlines()[1] == f"  {role}: 3 calls judged, 1 allowed, 2 denied"
