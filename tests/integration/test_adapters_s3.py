"""The S3 adapters (emulator/adapters/s3.py), with EventBridge's delivery to a state machine: a bucket
deployed with EventBridge notifications and versioning sends "Object Created" events as AWS spells them."""

from __future__ import annotations

import json
from typing import Any

from adapter_resources import ROLE_ARN, deploy_template, unique
from execution_waits import finished_execution, wait_for


# deliver_eventbridge_events_to_state_machines_topics_and_functions, spell_s3_events_like_aws,
# apply_bucket_eventbridge_setting_from_cloudformation, apply_bucket_versioning_from_cloudformation
def test_an_object_put_in_an_eventbridge_enabled_bucket_starts_the_rule_s_state_machine(emulator: Any) -> None:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    stack = deploy_template(
        emulator,
        {
            "Resources": {
                "Bucket": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {
                        "VersioningConfiguration": {"Status": "Enabled"},
                        "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}},
                    },
                },
                "Machine": {
                    "Type": "AWS::StepFunctions::StateMachine",
                    "Properties": {"DefinitionString": json.dumps(definition), "RoleArn": ROLE_ARN},
                },
            },
            "Outputs": {"Bucket": {"Value": {"Ref": "Bucket"}}, "Machine": {"Value": {"Ref": "Machine"}}},
        },
        unique("events"),
    )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    events = emulator.client("events")
    rule = unique("requests")
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.s3"],
                "detail-type": ["Object Created"],
                "detail": {"bucket": {"name": [outputs["Bucket"]]}, "object": {"key": [{"prefix": "requests/"}]}},
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "workflow", "Arn": outputs["Machine"], "RoleArn": ROLE_ARN}])

    s3 = emulator.client("s3")
    assert s3.get_bucket_versioning(Bucket=outputs["Bucket"])["Status"] == "Enabled"
    s3.put_object(Bucket=outputs["Bucket"], Key="elsewhere/ignored.json", Body=b"{}")
    put = [s3.put_object(Bucket=outputs["Bucket"], Key="requests/gan.json", Body=body) for body in (b"{}", b"[]")]

    sfn = emulator.client("stepfunctions")
    executions = wait_for(
        lambda: (
            len(sfn.list_executions(stateMachineArn=outputs["Machine"])["executions"]) == 2
            and sfn.list_executions(stateMachineArn=outputs["Machine"])["executions"]
        )
    )
    events_in = [json.loads(finished_execution(sfn, e["executionArn"])["input"]) for e in executions]
    assert len(executions) == 2
    for event in events_in:
        assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
        assert event["detail"]["object"]["key"] == "requests/gan.json"
        assert event["detail"]["bucket"]["name"] == outputs["Bucket"]
        assert "eTag" not in event["detail"]["object"]
    by_version = {e["detail"]["object"]["version-id"]: e["detail"]["object"]["etag"] for e in events_in}
    assert by_version == {p["VersionId"]: p["ETag"].strip('"') for p in put}  # two versions, AWS's spelling
    assert len({e["id"] for e in events_in}) == 2


# apply_bucket_key_setting_from_cloudformation
def test_a_bucket_key_enabled_in_the_template_is_applied(emulator: Any) -> None:
    key = emulator.client("kms").create_key()["KeyMetadata"]["Arn"]
    encryption = {
        "ServerSideEncryptionConfiguration": [
            {
                "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                "BucketKeyEnabled": True,
            }
        ]
    }
    stack = deploy_template(
        emulator,
        {
            "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketEncryption": encryption}}},
            "Outputs": {"Bucket": {"Value": {"Ref": "Bucket"}}},
        },
        unique("bucketkey"),
    )
    bucket = stack["Outputs"][0]["OutputValue"]
    s3 = emulator.client("s3")
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["BucketKeyEnabled"] is True
    put = s3.put_object(Bucket=bucket, Key="a.json", Body=b"{}")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == ("aws:kms", key, True)
