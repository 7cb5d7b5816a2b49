"""The CloudFormation adapters (emulator/adapters/cloudformation.py): change set deploys as the CDK CLI
makes them, and the resources this platform's stacks hold."""

from __future__ import annotations

from typing import Any

from adapter_resources import deploy_template, unique


# rebuild_stack_outputs_after_change_sets ------------------------------------------------------
def test_a_change_set_deploy_gives_outputs_and_exports_and_can_be_redeployed(emulator: Any) -> None:
    export = unique("Export")
    producer = unique("producer")
    ssm_parameter = f"/{unique('bootstrap')}/version"
    emulator.client("ssm").put_parameter(Name=ssm_parameter, Value="30", Type="String")

    def producer_template(tag: str) -> dict[str, Any]:
        return {
            "Parameters": {
                "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": ssm_parameter}
            },
            "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
            "Outputs": {
                "BucketName": {"Value": {"Ref": "Bucket"}, "Export": {"Name": export}},
                "Version": {"Value": tag},
            },
        }

    first = deploy_template(emulator, producer_template("one"), producer)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in first["Outputs"]}
    assert outputs["Version"] == "one" and outputs["BucketName"].startswith(producer.lower())

    consumer = deploy_template(
        emulator,
        {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {"Imported": {"Value": {"Fn::ImportValue": export}}},
        },
        unique("consumer"),
    )
    assert consumer["Outputs"][0]["OutputValue"] == outputs["BucketName"]

    second = deploy_template(emulator, producer_template("two"), producer)
    assert {o["OutputKey"]: o["OutputValue"] for o in second["Outputs"]}["Version"] == "two"
    assert second["StackStatus"] == "UPDATE_COMPLETE"


# accept_tagged_kms_keys_from_cloudformation, name_unnamed_ecr_repositories_in_lowercase -------
def test_a_tagged_kms_key_and_an_unnamed_repository_deploy(emulator: Any) -> None:
    stack_name = unique("Stateful")
    stack = deploy_template(
        emulator,
        {
            "Resources": {
                "Key": {
                    "Type": "AWS::KMS::Key",
                    "Properties": {
                        "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
                        "Tags": [{"Key": "CER", "Value": "1"}],
                    },
                },
                "Repository": {"Type": "AWS::ECR::Repository", "Properties": {"Tags": [{"Key": "CER", "Value": "1"}]}},
            },
            "Outputs": {"KeyId": {"Value": {"Ref": "Key"}}, "Repository": {"Value": {"Ref": "Repository"}}},
        },
        stack_name,
    )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    tags = emulator.client("kms").list_resource_tags(KeyId=outputs["KeyId"])["Tags"]
    assert tags == [{"TagKey": "CER", "TagValue": "1"}]
    assert outputs["Repository"] == outputs["Repository"].lower()
    emulator.client("ecr").describe_repositories(repositoryNames=[outputs["Repository"]])
