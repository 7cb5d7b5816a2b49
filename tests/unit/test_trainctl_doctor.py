"""`trainctl doctor` on a fake account that holds this checkout's stacks as CloudFormation would deploy them
(test_trainctl_doctor_account): a healthy account passes every check with one line each; faults made in
the stacks or outside them are each reported with what to do; the exit code says which.

The checkout's templates come from the doctor's own synth (once per module, cdk.json's settings, and once
with settings that add a VPC, an extra bucket and a schedule): the healthy account's role policies are the
synthesized ones, so the healthy runs also show that the catalogue agrees with today's stacks."""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import boto3
import pytest
from botocore.parsers import ResponseParserError
from test_trainctl_doctor_account import ACCOUNT, CALLER_ARN, REGION, FakeAccount, FakeSession

from trainctl.cli import main
from trainctl.doctor import command
from trainctl.doctor.catalogue import FACTS, PRINCIPALS, placeholders
from trainctl.doctor.checks import check_stack, guard
from trainctl.doctor.deployment import (
    Caller,
    Deployment,
    Stack,
    UsageError,
    deployment_context,
    deployment_settings,
    read_stack,
)
from trainctl.doctor.results import CheckResult, Problem
from trainctl.doctor.templates import Synthesis, differences, synthesize_checkout

STATEFUL, TRAINING = "mltrain-dev-stateful", "mltrain-dev-training"
# Settings away from cdk.json's that change the grants and the rules: a VPC, an extra bucket, a schedule.
VARIANT = {
    "vpc_subnet_ids": "subnet-0123abcd,subnet-4567cdef",
    "vpc_security_group_ids": "sg-0123abcd",
    "extra_readable_buckets": "team-datasets",
    "training_schedule": "rate(1 day)",
    "scheduled_request": '{"instance_type": "ml.m5.large", "instance_count": 1}',
}


@pytest.fixture(scope="module")
def checkout() -> Synthesis:
    return synthesize_checkout({})


@pytest.fixture(scope="module")
def variant_checkout() -> Synthesis:
    return synthesize_checkout(VARIANT)


Doctor = Callable[..., tuple[int, str, str]]


@pytest.fixture
def doctor(monkeypatch: pytest.MonkeyPatch, checkout: Synthesis, variant_checkout: Synthesis) -> Doctor:
    """Run `trainctl doctor ARGS` against an account; the synth it asks for is the module's (for its context)."""
    synthesized = {json.dumps({}): checkout, json.dumps(VARIANT, sort_keys=True): variant_checkout}

    def synthesize(context: Mapping[str, str]) -> Synthesis:
        return synthesized[json.dumps(dict(context), sort_keys=True)]

    def run(account: FakeAccount, *args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(command, "new_session", lambda: FakeSession(account))
        monkeypatch.setattr(command, "synthesize_checkout", synthesize)
        out, err = io.StringIO(), io.StringIO()
        code = main(["doctor", "--region", REGION, *args], stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    return run


def subjects(output: str) -> list[str]:
    """Each line's outcome and subject (the part before the first ': '), the summary line left out."""
    return [line.split(": ", 1)[0] for line in output.splitlines()[:-1]]


def healthy_subjects(account: FakeAccount, rules: tuple[str, ...]) -> list[str]:
    rule_lines = [f"ok   rule {account.physical('-training', rule)}" for rule in rules]
    return [
        "ok   credentials",
        f"ok   stack {STATEFUL}",
        f"ok   stack {TRAINING}",
        "ok   stacks match this checkout",
        *(f"ok   role {principal.role} ({principal.name})" for principal in PRINCIPALS),
        f"ok   key policy of arn:aws:kms:{REGION}:{ACCOUNT}:key/{account.physical('-stateful', 'EncryptionKey')}",
        *rule_lines,
        f"ok   data bucket {account.physical('-stateful', 'StorageData')}",
        f"ok   default image {default_image(account)}",
    ]


def default_image(account: FakeAccount) -> str:
    outputs = {output["OutputKey"]: output["OutputValue"] for output in account.stack("-stateful").outputs()}
    return outputs["DefaultImageUri"]


DEFAULT_RULES = ("TriggersRequestFileRule", "TriggersImagePushRule", "MonitoringJobStateRule")


# -- A healthy account -------------------------------------------------------------------------------------------
def test_a_healthy_account_passes_every_check_one_line_each_and_exits_0(doctor, checkout):
    account = FakeAccount.deployed(checkout.templates)

    code, out, err = doctor(account)

    assert (code, err) == (0, "")
    assert subjects(out) == healthy_subjects(account, DEFAULT_RULES)
    assert out.splitlines()[-1] == "all 16 checks passed"
    lines = out.splitlines()
    assert lines[0] == f"ok   credentials: {CALLER_ARN} in account {ACCOUNT}, region {REGION}"
    assert lines[3] == (
        "ok   stacks match this checkout: prefix mltrain, environment dev, no -c option; "
        f"synthesized in {checkout.seconds:.1f} s"
    )
    # Every role was asked about every call of the catalogue: each allowed, each forbidden one refused.
    state_machine = next(line for line in lines if "TrainingWorkflowStateMachineRole " in line)
    assert state_machine.endswith(": 32 calls allowed, 4 calls refused as they must be")


def test_json_gives_the_same_checks_as_one_document(doctor, checkout):
    account = FakeAccount.deployed(checkout.templates)

    code, out, err = doctor(account, "--json")
    document = json.loads(out)

    assert (code, err) == (0, "")
    assert document["passed"] is True
    assert [check["outcome"] for check in document["checks"]] == ["ok"] * 16
    assert document["checks"][3]["check"] == "stacks match this checkout"
    assert document["checks"][3]["seconds"] == checkout.seconds


def test_settings_given_with_c_reach_the_synth_and_the_calls_the_roles_are_asked_about(doctor, variant_checkout):
    account = FakeAccount.deployed(variant_checkout.templates)
    options = [argument for key, value in VARIANT.items() for argument in ("-c", f"{key}={value}")]

    code, out, _ = doctor(account, *options)

    assert code == 0, out
    assert subjects(out) == healthy_subjects(
        account, ("TriggersRequestFileRule", "TriggersImagePushRule", "TriggersScheduleRule", "MonitoringJobStateRule")
    )
    execution_role = next(line for line in out.splitlines() if "role ExecutionRole " in line)
    # Beyond the 39 calls of cdk.json's settings: the extra bucket's 4, the VPC's 1 + 2 + 1 + 3 + 5.
    assert execution_role.endswith(": 55 calls allowed, 5 calls refused as they must be")


def test_stacks_deployed_with_other_settings_than_the_doctor_is_given_do_not_match(doctor, variant_checkout):
    account = FakeAccount.deployed(variant_checkout.templates)

    code, out, _ = doctor(account)

    assert code == 1
    mismatch = [line for line in out.splitlines() if line.startswith("FAIL stacks match this checkout")]
    assert mismatch and all("give the doctor the same -c options" in line for line in mismatch)
    assert any("ExecutionRoleDefaultPolicy" in line and "PolicyDocument" in line for line in mismatch)
    assert any("not deployed yet" not in line and "deployed only: TriggersScheduleRule" in line for line in mismatch)


# -- A broken account --------------------------------------------------------------------------------------------
def break_account(account: FakeAccount) -> None:
    """Seven faults: one in the deployed templates (drift), the others made outside CloudFormation."""
    training = account.stack("-training")
    (prepare,) = [
        k for k, r in training.resources("AWS::Lambda::Function").items() if k.startswith("TrainingWorkflowPrepare")
    ]
    training.template["Resources"][prepare]["Properties"]["Code"]["S3Key"] = "0" * 64 + ".zip"
    account.remove_statement("TrainingWorkflowStateMachineRole", "PassExecutionRoleToSageMaker")
    del account.statement("TrainingWorkflowStateMachineRole", "CreateTaggedTrainingJobs")["Condition"]
    account.scp_denied_actions.add("ecr:BatchGetImage")
    key = account.key_policies[account.physical("-stateful", "EncryptionKey")]
    key["Statement"] = [statement for statement in key["Statement"] if "Sid" in statement]  # the root's has none
    account.rule_states[account.physical("-training", "TriggersRequestFileRule")] = "DISABLED"
    account.eventbridge_buckets.clear()
    for tags in account.image_tags.values():
        tags.clear()


def test_a_broken_account_reports_each_fault_with_what_to_do_and_exits_1(doctor, checkout):
    account = FakeAccount.deployed(checkout.templates)
    break_account(account)
    execution_role = account.physical("-training", "ExecutionRole")
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{account.physical('-stateful', 'EncryptionKey')}"
    repository = account.physical("-stateful", "RegistryRepository")
    image = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{repository}:latest"
    rule = account.physical("-training", "TriggersRequestFileRule")
    bucket = account.physical("-stateful", "StorageData")
    restore = "deploy this checkout (npx cdk deploy --all); if the stacks already match it, undo what was changed outside CloudFormation"

    code, out, err = doctor(account)
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]

    assert (code, err) == (1, "")
    assert failures == [
        "FAIL stacks match this checkout: mltrain-dev-training: 1 resource differs: TrainingWorkflowPrepareEEBDC1C9 "
        "(Code: the deployed function's code is not this checkout's lambda/); deploy this checkout (npx cdk deploy --all); "
        "if the stacks were deployed with other settings than prefix mltrain, environment dev, no -c option, "
        "give the doctor the same -c options",
        "FAIL role ExecutionRole (the SageMaker execution role): IAM refuses ecr:BatchGetImage on "
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository} (an SCP of the organization denies it), which it needs: "
        "SageMaker pulls the training image from the platform's repository; ask the organization's administrators to allow it",
        "FAIL role ExecutionRole (the SageMaker execution role): IAM refuses ecr:BatchGetImage on "
        f"arn:aws:ecr:{REGION}:929884845733:repository/sagemaker-debugger-rules (an SCP of the organization denies it), "
        "which it needs: Debugger and profiler rule evaluation jobs pull SageMaker's regional rule image; "
        "ask the organization's administrators to allow it",
        "FAIL role TrainingWorkflowStateMachineRole (the state machine's role): IAM refuses iam:PassRole on "
        f"arn:aws:iam::{ACCOUNT}:role/{execution_role} with iam:PassedToService=sagemaker.amazonaws.com "
        f"(no statement of the role allows it), which it needs: the workflow gives jobs the execution role; {restore}",
        "FAIL role TrainingWorkflowStateMachineRole (the state machine's role): IAM allows sagemaker:CreateTrainingJob on "
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/doctor-check with aws:RequestTag/Team=doctor-check, aws:TagKeys=Team "
        "(allowed by TrainingWorkflowStateMachineRoleDefaultPolicyAD78C4F5), which it must not: only jobs tagged CER=1 may be "
        f"created; remove the permission: {restore}",
        f"FAIL key policy of {key}: no statement lets arn:aws:iam::{ACCOUNT}:root use kms:CreateGrant, kms:Decrypt, "
        "kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey, but only then do the roles' own policies give them the key; "
        "add to the key policy an Allow of these actions on Resource * to AWS "
        f"arn:aws:iam::{ACCOUNT}:root (aws kms get-key-policy --key-id {key} --policy-name default; edit; aws kms put-key-policy)",
        f"FAIL rule {rule}: disabled: it sends nothing; enable it: aws events enable-rule --name {rule} --region {REGION}",
        f"FAIL data bucket {bucket}: does not send its events to EventBridge: request files start nothing; "
        f"turn it on: aws s3api put-bucket-notification-configuration --bucket {bucket} "
        "--notification-configuration '{\"EventBridgeConfiguration\": {}}' (the stack sets nothing else there)",
        f"FAIL default image {image}: not in the repository: a request without image_uri cannot train; push it "
        f"(the stateful stack's outputs): aws ecr get-login-password --region {REGION} | docker login --username AWS "
        f"--password-stdin {ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com, then where its Dockerfile is docker build -t {image} ., "
        f"then docker push {image}",
    ]
    # The checks the faults leave alone still pass, one line each.
    assert sum(line.startswith("ok   ") for line in out.splitlines()) == 9
    assert out.splitlines()[-1] == "7 failed of 16 checks"


def test_smoke_waits_for_every_other_check_to_pass(doctor, checkout):
    account = FakeAccount.deployed(checkout.templates)
    account.eventbridge_buckets.clear()

    code, out, _ = doctor(account, "--smoke")

    assert code == 1
    assert out.splitlines()[-2:] == [
        "skip smoke training: it runs once every other check passed",
        "1 failed, 1 skipped of 17 checks",
    ]
    assert not any(call.startswith("states:") for call in account.calls)


def test_smoke_runs_last_on_a_healthy_account_and_its_result_counts(doctor, checkout, monkeypatch):
    account = FakeAccount.deployed(checkout.templates)
    machines = []

    def smoke(platform, progress):
        machines.append(platform.state_machine_arn)
        progress("00:00:01 Completed: Training job completed")
        return CheckResult("smoke training", problems=(Problem("job x Failed: AlgorithmError", "see its logs"),))

    monkeypatch.setattr(command, "run_smoke", smoke)
    code, out, _ = doctor(account, "--smoke")

    assert code == 1
    assert machines == [f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{TRAINING}"]
    assert out.splitlines()[-3:] == [
        "     00:00:01 Completed: Training job completed",
        "FAIL smoke training: job x Failed: AlgorithmError; see its logs",
        "1 failed of 17 checks",
    ]


def test_the_permissions_page_lists_every_call_the_doctor_makes(doctor, checkout):
    account = FakeAccount.deployed(checkout.templates)
    doctor(account)
    # IAM names GetBucketNotificationConfiguration's permission after the older operation.
    actions = {ACTIONS_NAMED_OTHERWISE.get(call, call) for call in account.calls}
    page = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    section = page[page.index("`doctor` reads the platform") : page.index("`doctor --smoke`")]

    assert set(re.findall(r"`([a-z0-9]+:[A-Za-z]+)`", section)) == actions


ACTIONS_NAMED_OTHERWISE = {"s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification"}


# -- What stops the checks ------------------------------------------------------------------------------------------
def test_a_missing_stack_is_reported_and_the_checks_that_need_it_are_skipped(doctor, checkout):
    account = FakeAccount.deployed(checkout.templates)
    del account.stacks[TRAINING]

    code, out, _ = doctor(account)

    assert code == 1
    assert out.splitlines()[1:] == [
        f"ok   stack {STATEFUL}: CREATE_COMPLETE",
        f"FAIL stack {TRAINING}: not found in {REGION}; deploy the platform (npx cdk deploy --all), or name it with --stack and --region",
        "skip the other checks: they need both stacks",
        "1 failed, 1 skipped of 4 checks",
    ]


def test_a_caller_that_may_not_simulate_is_told_which_permission_it_lacks(doctor, checkout):
    account = FakeAccount.deployed(checkout.templates)
    account.caller_may_not.add("SimulatePrincipalPolicy")

    code, out, _ = doctor(account)
    roles = [line for line in out.splitlines() if line.startswith(("FAIL role", "ok   role"))]

    assert code == 1
    assert len(roles) == len(PRINCIPALS)
    assert roles[0] == (
        "FAIL role ExecutionRole (the SageMaker execution role): AWS refused SimulatePrincipalPolicy: AccessDenied: "
        f"User: {CALLER_ARN} is not authorized to perform: SimulatePrincipalPolicy; "
        "let the caller make this call: see docs/permissions.md (the trainctl caller)"
    )


def test_a_role_the_catalogue_does_not_know_fails_until_the_catalogue_has_its_calls(doctor, checkout):
    templates = copy.deepcopy(dict(checkout.templates))
    resources = templates[TRAINING]["Resources"]
    resources["DeadLetterRole0123ABCD"] = copy.deepcopy(
        resources[next(k for k in resources if k.startswith("ExecutionRole"))]
    )
    account = FakeAccount.deployed(templates)

    code, out, _ = doctor(account)

    assert code == 1
    assert (
        f"FAIL role DeadLetterRole: {account.physical('-training', 'DeadLetterRole')} is a role of the stack that "
        "trainctl's catalogue of expected calls does not know; add the calls it makes to trainctl/doctor/catalogue.py"
        in out
    )


def test_without_credentials_only_the_credentials_check_runs(doctor, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(command, "new_session", boto3.Session)
    out = io.StringIO()

    code = main(["doctor", "--region", REGION], stdout=out, stderr=io.StringIO())

    assert code == 1
    assert out.getvalue().splitlines() == [
        "FAIL credentials: no AWS credentials found; set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
        "skip the other checks: they need working credentials",
        "1 failed, 1 skipped of 2 checks",
    ]


# -- Usage ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", "retention"], "error: -c retention: give KEY=VALUE, as to cdk deploy"),
        (
            ["-c", "checkpoint_retention_days=0"],
            "error: invalid settings (cdk.json context or -c KEY=VALUE): "
            "checkpoint_retention_days: must be a whole number from 1 to 3650 (got '0')",
        ),
        (
            ["--stack", "platform"],
            "error: stack platform is not named <prefix>-<environment>-training: "
            "give the training stack, or -c prefix=... -c environment=... for it",
        ),
        (
            ["--stack", "team-prod-training", "-c", "prefix=team"],
            "error: stack team-prod-training is not the training stack of -c prefix=team environment=dev (team-dev-training)",
        ),
    ],
)
def test_usage_errors_exit_2_before_any_call(doctor, checkout, args, message):
    account = FakeAccount.deployed(checkout.templates)

    code, out, err = doctor(account, *args)

    assert (code, out, err) == (2, "", message + "\n")
    assert account.calls == []


def test_the_stack_name_gives_prefix_and_environment_when_cdk_json_does_not_name_it():
    assert deployment_context("mltrain-dev-training", {}) == {}
    assert deployment_context("team-prod-eu-training", {"default_image_tag": "v2"}) == {
        "default_image_tag": "v2",
        "prefix": "team",
        "environment": "prod-eu",
    }
    assert deployment_context("x-y-training", {"prefix": "x", "environment": "y"}) == {
        "prefix": "x",
        "environment": "y",
    }
    with pytest.raises(UsageError):
        deployment_context("training", {})


# -- The catalogue against a deployment -----------------------------------------------------------------------------
def test_the_deployment_gives_every_fact_the_catalogue_names(checkout):
    account = FakeAccount.deployed(checkout.templates)
    session = FakeSession(account)
    stacks = [read_stack(session.client("cloudformation"), name) for name in (STATEFUL, TRAINING)]
    deployment = Deployment(REGION, Caller(ACCOUNT, CALLER_ARN), deployment_settings({}), *stacks)
    facts = deployment.facts()

    assert sorted(facts) == sorted(FACTS)
    assert {name for principal in PRINCIPALS for call in principal.calls for name in placeholders(call)} <= set(FACTS)
    assert facts["key_arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{account.physical('-stateful', 'EncryptionKey')}"
    assert facts["prepare_log_group"] == account.physical("-training", "TrainingWorkflowPrepareLogs")


# -- The templates' comparison ----------------------------------------------------------------------------------------
def test_what_cdk_deploy_adds_about_the_cdk_is_no_difference(checkout):
    deployed = copy.deepcopy(dict(checkout.templates[TRAINING]))
    for logical_id, resource in deployed["Resources"].items():
        resource["Metadata"] = {"aws:cdk:path": f"{TRAINING}/{logical_id}/Resource", "aws:asset:path": "asset.x"}
    deployed["Resources"]["CDKMetadata"] = {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:x"}}
    deployed["Conditions"] = {"CDKMetadataAvailable": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}}

    assert differences(deployed, checkout.templates[TRAINING]) == []


def test_resources_added_removed_or_changed_are_named_with_what_changed(checkout):
    deployed = copy.deepcopy(dict(checkout.templates[TRAINING]))
    resources = deployed["Resources"]
    topic = next(k for k in resources if k.startswith("MonitoringTopic2"))
    resources[topic]["Properties"]["DisplayName"] = "changed in the console"
    resources["OldQueue0123ABCD"] = {"Type": "AWS::SQS::Queue"}
    del resources[next(k for k in resources if k.startswith("MonitoringFailedJobsAlarm"))]
    deployed["Outputs"]["ExecutionRoleArn"]["Description"] = "old"

    assert differences(deployed, checkout.templates[TRAINING]) == [
        f"1 resource differs: {topic} (DisplayName)",
        "deployed only: OldQueue0123ABCD",
        "not deployed yet: MonitoringFailedJobsAlarm70EE9C00",
        "Outputs differ: ExecutionRoleArn",
    ]


# -- A stack's state ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "line"),
    [
        ("UPDATE_COMPLETE", "ok   stack s: UPDATE_COMPLETE"),
        (
            "UPDATE_IN_PROGRESS",
            "FAIL stack s: UPDATE_IN_PROGRESS: an operation is under way; wait for it to end, then run the doctor again",
        ),
        (
            "UPDATE_ROLLBACK_COMPLETE",
            "FAIL stack s: its last update failed and was rolled back; its events say why "
            "(aws cloudformation describe-stack-events --stack-name s); fix that and deploy again",
        ),
        (
            "ROLLBACK_COMPLETE",
            "FAIL stack s: its creation failed; its events say why (aws cloudformation describe-stack-events --stack-name s); "
            "delete it (aws cloudformation delete-stack) and deploy again",
        ),
    ],
)
def test_a_stack_is_usable_only_once_its_last_operation_completed(status, line):
    assert check_stack(Stack("s", status, {}, ()), REGION, "npx cdk deploy --all").lines() == [line]


def test_an_endpoint_that_does_not_answer_as_aws_fails_the_check_in_one_line():
    def check() -> CheckResult:
        raise ResponseParserError("Unable to parse response (syntax error), invalid XML received:\nb'<html>500</html>'")

    assert guard("role R", check).lines() == [
        "FAIL role R: the endpoint's answer is not AWS's: Unable to parse response (syntax error), invalid XML received; "
        "check AWS_ENDPOINT_URL and the region"
    ]
