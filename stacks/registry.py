"""The ECR repository for the team's training image."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_kms as kms
from constructs import Construct

# Untagged images are the leftovers of re-pushed tags; a week is enough to roll back by digest.
UNTAGGED_IMAGE_EXPIRY_DAYS = 7


class TrainingImageRepository(Construct):
    """Scanned on push, KMS-encrypted, retained (with its images) on `cdk destroy`."""

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey, tag_mutability: str) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability[tag_mutability],
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=key,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    description="Expire untagged images",
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=Duration.days(UNTAGGED_IMAGE_EXPIRY_DAYS),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
