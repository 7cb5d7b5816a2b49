"""The platform's S3 buckets: training data (and request files), model artifacts, checkpoints,
TensorBoard output, and the server access logs of all four."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

# Uploads that never completed cost storage and are invisible in the console.
_ABORT_INCOMPLETE_UPLOADS = s3.LifecycleRule(
    id="AbortIncompleteUploads", abort_incomplete_multipart_upload_after=Duration.days(7)
)


class TrainingStorage(Construct):
    """Four KMS-encrypted buckets plus an access-log bucket.

    Separate buckets rather than prefixes in one: each has its own lifecycle (expiry only where data is
    disposable), versioning only where data is precious, and the execution role gets read-only access to
    data but read-write to outputs with whole-bucket resources instead of prefix conditions.
    Every bucket is retained on `cdk destroy` and never emptied by the stack.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        checkpoint_retention_days: int,
        tensorboard_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            # S3 server access logging delivers only to buckets with S3-managed keys (SSE-S3).
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[_ABORT_INCOMPLETE_UPLOADS],
        )
        self.data = self._bucket("Data", key, versioned=True)
        # Request files dropped under the request prefix start trainings: S3 sends its events to
        # EventBridge natively. `event_bridge_enabled=True` would add a custom resource and a Lambda.
        data_bucket = self.data.node.default_child
        assert isinstance(data_bucket, s3.CfnBucket)
        data_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
        )
        self.artifacts = self._bucket("Artifacts", key, versioned=True)
        self.checkpoints = self._bucket(
            "Checkpoints", key, versioned=False, expire_after_days=checkpoint_retention_days
        )
        self.tensorboard = self._bucket(
            "TensorBoard", key, versioned=False, expire_after_days=tensorboard_retention_days
        )
        # A retained bucket keeps its policy: without it a bucket left by `cdk destroy` would accept plain
        # HTTP and the access-log bucket would refuse S3's log deliveries.
        for bucket in (self.access_logs, self.data, self.artifacts, self.checkpoints, self.tensorboard):
            assert bucket.policy is not None  # enforce_ssl gives every bucket a policy
            bucket.policy.apply_removal_policy(RemovalPolicy.RETAIN)

    def _bucket(
        self, construct_id: str, key: kms.IKey, *, versioned: bool, expire_after_days: int | None = None
    ) -> s3.Bucket:
        rules = [_ABORT_INCOMPLETE_UPLOADS]
        if expire_after_days is not None:
            rules.append(s3.LifecycleRule(id="ExpireObjects", expiration=Duration.days(expire_after_days)))
        return s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            # One data key per bucket instead of one KMS call per object.
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=versioned,
            lifecycle_rules=rules,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{construct_id.lower()}/",
            removal_policy=RemovalPolicy.RETAIN,
        )
