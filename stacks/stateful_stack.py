"""What holds data: the KMS key, the buckets and the image repository. Everything here is retained on
`cdk destroy`, so the training stack can be redeployed or destroyed without touching data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Aws, CfnOutput, Stack, Validations
from constructs import Construct

from platform_contract import StatefulStackOutput
from stacks.encryption import PlatformKey
from stacks.monitoring import cloudwatch_alarms_key_statement
from stacks.registry import TrainingImageRepository
from stacks.settings import PlatformSettings
from stacks.storage import TrainingStorage


@dataclass(frozen=True)
class StatefulReferences:
    """What other stacks use from the stateful stack, as `Fn::ImportValue`s of fixed export names.

    Fixed names (not the CDK's generated `ExportsOutput...` ones) keep the rendered ARNs stable, so
    cdk-nag acknowledgments on other stacks' policies can name them exactly.
    """

    key_arn: str
    repository_name: str
    data_bucket_name: str
    artifacts_bucket_name: str
    checkpoints_bucket_name: str
    tensorboard_bucket_name: str


class StatefulStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: PlatformSettings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.platform_key = PlatformKey(
            self,
            "Encryption",
            alias=f"alias/{settings.stack_name_prefix}-training",
            existing_key_arn=settings.kms_key_arn,
        )
        self.key = self.platform_key.key
        # The training stack's alarms publish to a topic encrypted with this key; only the stack that
        # defines a key can change its policy (an imported key's owner adds the statement themselves).
        self.key.add_to_resource_policy(cloudwatch_alarms_key_statement(), allow_no_op=True)
        self.storage = TrainingStorage(
            self,
            "Storage",
            key=self.key,
            checkpoint_retention_days=settings.checkpoint_retention_days,
            tensorboard_retention_days=settings.tensorboard_retention_days,
        )
        self.repository = TrainingImageRepository(
            self, "Registry", key=self.key, tag_mutability=settings.ecr_tag_mutability
        ).repository

        Validations.of(self.storage.access_logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the server access log destination; logging its own access would log forever.",
            )
        )
        self._outputs()
        self.references = StatefulReferences(
            # An imported key's ARN is already a literal: nothing to export.
            key_arn=settings.kms_key_arn or self._export("KeyArn", self.key.key_arn),
            repository_name=self._export("RepositoryName", self.repository.repository_name),
            data_bucket_name=self._export(StatefulStackOutput.DATA_BUCKET_NAME.value, self.storage.data.bucket_name),
            artifacts_bucket_name=self._export(
                StatefulStackOutput.ARTIFACTS_BUCKET_NAME.value, self.storage.artifacts.bucket_name
            ),
            checkpoints_bucket_name=self._export(
                StatefulStackOutput.CHECKPOINTS_BUCKET_NAME.value, self.storage.checkpoints.bucket_name
            ),
            tensorboard_bucket_name=self._export(
                StatefulStackOutput.TENSORBOARD_BUCKET_NAME.value, self.storage.tensorboard.bucket_name
            ),
        )

    def _export(self, name: str, value: str) -> str:
        return self.export_value(value, name=f"{self.stack_name}-{name}")

    def _outputs(self) -> None:
        image = self.repository.repository_uri_for_tag(self.settings.default_image_tag)
        registry = f"{Aws.ACCOUNT_ID}.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}"
        outputs = {
            StatefulStackOutput.REPOSITORY_URI.value: (
                self.repository.repository_uri,
                "ECR repository for the training image",
            ),
            StatefulStackOutput.DEFAULT_IMAGE_URI.value: (image, "Image used when a request gives no image_uri"),
            StatefulStackOutput.DATA_BUCKET_NAME.value: (
                self.storage.data.bucket_name,
                "Training data; request files go under the request prefix",
            ),
            StatefulStackOutput.ARTIFACTS_BUCKET_NAME.value: (
                self.storage.artifacts.bucket_name,
                "Model artifacts (the default output_path)",
            ),
            StatefulStackOutput.CHECKPOINTS_BUCKET_NAME.value: (
                self.storage.checkpoints.bucket_name,
                "Spot training checkpoints",
            ),
            StatefulStackOutput.TENSORBOARD_BUCKET_NAME.value: (
                self.storage.tensorboard.bucket_name,
                "TensorBoard output",
            ),
            StatefulStackOutput.ACCESS_LOGS_BUCKET_NAME.value: (
                self.storage.access_logs.bucket_name,
                "S3 server access logs of the buckets above",
            ),
            StatefulStackOutput.DOCKER_LOGIN_COMMAND.value: (
                f"aws ecr get-login-password --region {Aws.REGION} | docker login --username AWS --password-stdin {registry}",
                "Log docker in to the repository's registry",
            ),
            StatefulStackOutput.DOCKER_BUILD_COMMAND.value: (
                f"docker build -t {image} .",
                "Build the training image (run where its Dockerfile is)",
            ),
            StatefulStackOutput.DOCKER_PUSH_COMMAND.value: (f"docker push {image}", "Push the training image"),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
