"""The stateful stack: what protects the team's data, images and keys."""

from __future__ import annotations

import json

import pytest

KMS_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"  # customised_app's


def buckets_by_path(app) -> dict[str, dict]:
    """Buckets keyed by their construct name (Data, Artifacts, Checkpoints, TensorBoard, AccessLogs)."""
    return {
        r["Metadata"]["aws:cdk:path"].split("/")[-2]: r for r in app.resources("stateful", "AWS::S3::Bucket").values()
    }


@pytest.fixture(scope="module")
def buckets(synthesized_app) -> dict[str, dict]:
    return buckets_by_path(synthesized_app)


def test_there_are_four_data_buckets_and_an_access_log_bucket(buckets) -> None:
    assert sorted(buckets) == ["AccessLogs", "Artifacts", "Checkpoints", "Data", "TensorBoard"]


def test_stateful_resources_survive_destroy_and_replacement(synthesized_app) -> None:
    stateful = synthesized_app.template("stateful")["Resources"]
    kept = [r for r in stateful.values() if r["Type"] in ("AWS::S3::Bucket", "AWS::ECR::Repository", "AWS::KMS::Key")]
    assert len(kept) == 7
    for resource in kept:
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"
    # Nothing empties a bucket on delete: auto_delete_objects would add a custom resource and its Lambda.
    types = {r["Type"] for r in stateful.values()}
    assert not any(t.startswith("Custom::") or t.startswith("AWS::Lambda::") for t in types), types


def test_bucket_policies_survive_destroy_with_their_buckets(synthesized_app) -> None:
    # TLS-only deny on every bucket, and S3's log-delivery grant on the access-log bucket.
    policies = synthesized_app.resources("stateful", "AWS::S3::BucketPolicy")
    assert len(policies) == 5
    for logical_id, policy in policies.items():
        assert policy.get("DeletionPolicy") == "Retain", logical_id
        assert policy.get("UpdateReplacePolicy") == "Retain", logical_id


def test_buckets_block_public_access_and_enforce_bucket_ownership(buckets) -> None:
    for bucket in buckets.values():
        assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert bucket["Properties"]["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_every_bucket_policy_denies_requests_without_tls(synthesized_app, buckets) -> None:
    policies = synthesized_app.resources("stateful", "AWS::S3::BucketPolicy").values()
    bucket_ids = {logical_id for logical_id, r in synthesized_app.resources("stateful", "AWS::S3::Bucket").items()}
    protected = set()
    for policy in policies:
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                assert statement["Action"] == "s3:*"
                assert statement["Principal"] == {"AWS": "*"}
                protected.add(policy["Properties"]["Bucket"]["Ref"])
    assert protected == bucket_ids


def test_data_buckets_use_the_project_key_and_access_logs_use_s3_managed_keys(synthesized_app, buckets) -> None:
    [key_id] = synthesized_app.resources("stateful", "AWS::KMS::Key")
    for name, bucket in buckets.items():
        [rule] = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        if name == "AccessLogs":
            # S3 server access logging cannot deliver to a bucket encrypted with a KMS key.
            assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        else:
            assert rule["ServerSideEncryptionByDefault"] == {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
            }
            assert rule["BucketKeyEnabled"] is True


def test_data_and_artifacts_are_versioned_and_nothing_precious_expires(buckets) -> None:
    for name in ("Data", "Artifacts"):
        assert buckets[name]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
        for rule in buckets[name]["Properties"]["LifecycleConfiguration"]["Rules"]:
            assert "ExpirationInDays" not in rule and "NoncurrentVersionExpiration" not in rule


@pytest.mark.parametrize(("bucket", "days"), [("Checkpoints", 30), ("TensorBoard", 90)])
def test_checkpoints_and_tensorboard_expire_after_the_configured_days(buckets, bucket: str, days: int) -> None:
    rules = buckets[bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"Id": "ExpireObjects", "ExpirationInDays": days, "Status": "Enabled"} in rules


def test_retention_days_follow_the_settings(customised_app) -> None:
    buckets = buckets_by_path(customised_app)
    expiry = {
        name: [r.get("ExpirationInDays") for r in buckets[name]["Properties"]["LifecycleConfiguration"]["Rules"]]
        for name in ("Checkpoints", "TensorBoard")
    }
    assert expiry == {"Checkpoints": [None, 3], "TensorBoard": [None, 400]}


def test_buckets_log_access_to_the_access_log_bucket(synthesized_app, buckets) -> None:
    [logs_id] = [k for k, r in synthesized_app.resources("stateful", "AWS::S3::Bucket").items() if "AccessLogs" in k]
    for name, bucket in buckets.items():
        if name != "AccessLogs":
            assert bucket["Properties"]["LoggingConfiguration"] == {
                "DestinationBucketName": {"Ref": logs_id},
                "LogFilePrefix": f"{name.lower()}/",
            }


def test_the_data_bucket_sends_its_events_to_eventbridge_natively(synthesized_app, buckets) -> None:
    assert buckets["Data"]["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }
    types = {r["Type"] for _, _, r in synthesized_app.all_resources()}
    assert "Custom::S3BucketNotifications" not in types


def test_the_key_rotates(synthesized_app) -> None:
    [key] = synthesized_app.resources("stateful", "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True


def test_the_repository_scans_expires_untagged_images_and_uses_the_key(synthesized_app) -> None:
    [key_id] = synthesized_app.resources("stateful", "AWS::KMS::Key")
    [repository] = synthesized_app.resources("stateful", "AWS::ECR::Repository").values()
    properties = repository["Properties"]
    assert properties["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert properties["ImageTagMutability"] == "MUTABLE"
    assert properties["EncryptionConfiguration"] == {"EncryptionType": "KMS", "KmsKey": {"Fn::GetAtt": [key_id, "Arn"]}}
    policy = json.loads(properties["LifecyclePolicy"]["LifecyclePolicyText"])
    [rule] = policy["rules"]
    assert rule["selection"]["tagStatus"] == "untagged"
    assert rule["action"] == {"type": "expire"}


def test_tag_mutability_follows_the_settings(customised_app) -> None:
    [repository] = customised_app.resources("stateful", "AWS::ECR::Repository").values()
    assert repository["Properties"]["ImageTagMutability"] == "IMMUTABLE"


def test_an_existing_key_is_used_instead_of_creating_one(customised_app) -> None:
    app = customised_app
    assert app.resources("stateful", "AWS::KMS::Key") == {}
    for name, bucket in buckets_by_path(app).items():
        if name != "AccessLogs":
            [rule] = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == KMS_KEY_ARN
    [repository] = app.resources("stateful", "AWS::ECR::Repository").values()
    assert repository["Properties"]["EncryptionConfiguration"]["KmsKey"] == KMS_KEY_ARN


def test_outputs_give_what_a_user_needs(synthesized_app) -> None:
    outputs = synthesized_app.template("stateful")["Outputs"]
    for name in (
        "RepositoryUri",
        "DefaultImageUri",
        "DataBucketName",
        "ArtifactsBucketName",
        "CheckpointsBucketName",
        "TensorBoardBucketName",
        "DockerLoginCommand",
        "DockerBuildCommand",
        "DockerPushCommand",
    ):
        assert name in outputs
    rendered = json.dumps(outputs["DockerPushCommand"]["Value"])
    assert "docker push " in rendered and ":latest" in rendered
    assert "ExecutionRoleArn" in synthesized_app.template("training")["Outputs"]


def test_the_key_lets_cloudwatch_alarms_use_the_encrypted_notification_topic(synthesized_app) -> None:
    [key] = synthesized_app.resources("stateful", "AWS::KMS::Key").values()
    principals = [s.get("Principal") for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals
