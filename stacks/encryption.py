"""The project's KMS key: created with yearly rotation, or an existing key imported by ARN."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.monitoring import cloudwatch_alarms_key_statement


class PlatformKey(Construct):
    """Encrypts the data buckets and the image repository.

    An imported key's policy is not ours to change: it must let this account's IAM policies use the key, and
    CloudWatch alarms publish to the encrypted notification topic (monitoring.cloudwatch_alarms_key_statement).
    """

    def __init__(self, scope: Construct, construct_id: str, *, alias: str, existing_key_arn: str | None) -> None:
        super().__init__(scope, construct_id)
        self.created = existing_key_arn is None
        if existing_key_arn is None:
            self.key: kms.IKey = kms.Key(
                self,
                "Key",
                description=f"Encrypts the training platform's data, artifacts and images ({alias})",
                enable_key_rotation=True,
                alias=alias,
                # Destroying the key would make every retained bucket unreadable.
                removal_policy=RemovalPolicy.RETAIN,
            )
            # The notification topic is encrypted with this key: CloudWatch alarms must be able to publish to it.
            self.key.add_to_resource_policy(cloudwatch_alarms_key_statement())
        else:
            self.key = kms.Key.from_key_arn(self, "Key", existing_key_arn)
