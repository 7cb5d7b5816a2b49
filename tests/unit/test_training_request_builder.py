"""The mapping: every Estimator / fit() parameter and helper object form becomes the SDK's request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from training_request import InvalidTrainingInput, PlatformDefaults, build_training_job

NOW = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/gan-trainer:latest"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
BASE = {
    "image_uri": IMAGE,
    "role": ROLE,
    "instance_count": 1,
    "instance_type": "ml.m5.xlarge",
    "output_path": "s3://artifacts/out",
}


def build(region: str = "eu-west-1", defaults: PlatformDefaults = PlatformDefaults(), **extra: object) -> dict:
    return build_training_job({**BASE, **extra}, region=region, defaults=defaults, now=NOW).request


def test_minimal_input_gives_the_sdk_defaults() -> None:
    request = build()
    assert request["AlgorithmSpecification"] == {"TrainingInputMode": "File", "TrainingImage": IMAGE}
    assert request["OutputDataConfig"] == {"S3OutputPath": "s3://artifacts/out"}
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 86400}
    assert request["ResourceConfig"] == {"VolumeSizeInGB": 30, "InstanceCount": 1, "InstanceType": "ml.m5.xlarge"}
    assert request["RoleArn"] == ROLE
    assert request["TrainingJobName"] == "gan-trainer-2024-05-06-07-08-09-123"
    for absent in (
        "InputDataConfig",
        "HyperParameters",
        "Environment",
        "VpcConfig",
        "EnableNetworkIsolation",
        "EnableInterContainerTrafficEncryption",
        "EnableManagedSpotTraining",
        "CheckpointConfig",
        "RetryStrategy",
    ):
        assert absent not in request


def test_job_carries_wait_and_name() -> None:
    job = build_training_job({**BASE, "wait": False, "job_name": "my-run-1"}, region="eu-west-1", now=NOW)
    assert (job.wait, job.job_name, job.request["TrainingJobName"]) == (False, "my-run-1", "my-run-1")
    assert build_training_job(BASE, region="eu-west-1", now=NOW).wait is True


def test_string_input_is_the_training_channel() -> None:
    assert build(inputs="s3://data/train")["InputDataConfig"] == [
        {
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://data/train",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "ChannelName": "training",
        }
    ]


def test_mapping_of_channels_keeps_names_and_order() -> None:
    channels = build(inputs={"nome_modello": "s3://data/a", "validation": "s3://data/b"})["InputDataConfig"]
    assert [channel["ChannelName"] for channel in channels] == ["nome_modello", "validation"]


def test_training_input_every_keyword() -> None:
    channel = build(
        instance_type=None,  # null: not given; the groups below replace it
        instance_count=None,
        instance_groups=[{"instance_group_name": "g1", "instance_type": "ml.m5.xlarge", "instance_count": 1}],
        inputs={
            "train": {
                "s3_data": "s3://data/manifest",
                "distribution": "ShardedByS3Key",
                "compression": "Gzip",
                "content_type": "text/csv",
                "record_wrapping": "RecordIO",
                "s3_data_type": "AugmentedManifestFile",
                "input_mode": "Pipe",
                "attribute_names": ["source-ref"],
                "instance_groups": ["g1"],
                "shuffle_config": {"seed": 42},
            }
        },
    )["InputDataConfig"][0]
    assert channel == {
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "AugmentedManifestFile",
                "S3Uri": "s3://data/manifest",
                "S3DataDistributionType": "ShardedByS3Key",
                "InstanceGroupNames": ["g1"],
                "AttributeNames": ["source-ref"],
            }
        },
        "CompressionType": "Gzip",
        "ContentType": "text/csv",
        "RecordWrapperType": "RecordIO",
        "InputMode": "Pipe",
        "ShuffleConfig": {"Seed": 42},
        "ChannelName": "train",
    }


def test_single_training_input_sets_the_job_input_mode() -> None:
    request = build(inputs={"s3_data": "s3://data/t", "input_mode": "FastFile"})
    assert request["AlgorithmSpecification"]["TrainingInputMode"] == "FastFile"
    assert request["InputDataConfig"][0]["ChannelName"] == "training"


def test_channel_input_mode_in_a_mapping_leaves_the_job_mode() -> None:
    request = build(inputs={"train": {"s3_data": "s3://data/t", "input_mode": "Pipe"}}, input_mode="File")
    assert request["AlgorithmSpecification"]["TrainingInputMode"] == "File"


def test_file_system_input() -> None:
    request = build(
        inputs={
            "fsx": {
                "file_system_id": "fs-0123456789abcdef0",
                "file_system_type": "FSxLustre",
                "directory_path": "/fsx/data",
                "content_type": "application/x-image",
            }
        },
        subnets=["subnet-0abc"],
        security_group_ids=["sg-0abc"],
    )
    assert request["InputDataConfig"] == [
        {
            "DataSource": {
                "FileSystemDataSource": {
                    "FileSystemId": "fs-0123456789abcdef0",
                    "FileSystemType": "FSxLustre",
                    "DirectoryPath": "/fsx/data",
                    "FileSystemAccessMode": "ro",
                }
            },
            "ContentType": "application/x-image",
            "ChannelName": "fsx",
        }
    ]
    assert request["VpcConfig"] == {"Subnets": ["subnet-0abc"], "SecurityGroupIds": ["sg-0abc"]}


def test_model_uri_adds_a_file_mode_channel_after_the_inputs() -> None:
    channels = build(
        inputs="s3://data/t", model_uri="s3://artifacts/old/model.tar.gz", model_channel_name="pretrained"
    )["InputDataConfig"]
    assert channels[1] == {
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": "s3://artifacts/old/model.tar.gz",
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "ContentType": "application/x-sagemaker-model",
        "InputMode": "File",
        "ChannelName": "pretrained",
    }
    assert build(model_uri="s3://artifacts/m.tar.gz")["InputDataConfig"][0]["ChannelName"] == "model"


def test_hyperparameters_become_python_str_like_the_sdk() -> None:
    hyperparameters = build(
        hyperparameters={"lr": 0.001, "epochs": 10, "flag": True, "sizes": [1, 2], "nested": {"a": 1}, "name": "x"}
    )["HyperParameters"]
    assert hyperparameters == {
        "lr": "0.001",
        "epochs": "10",
        "flag": "True",
        "sizes": "[1, 2]",
        "nested": "{'a': 1}",
        "name": "x",
    }
    assert "HyperParameters" not in build(hyperparameters={})


def test_resources_stopping_kms_flags_environment_retry() -> None:
    request = build(
        instance_count=2,
        volume_size=100,
        max_run=3600,
        volume_kms_key="alias/vol",
        output_kms_key="alias/out",
        encrypt_inter_container_traffic=True,
        enable_network_isolation=True,
        enable_sagemaker_metrics=False,
        environment={"MODE": "fast"},
        max_retry_attempts=3,
        input_mode="Pipe",
    )
    assert request["ResourceConfig"] == {
        "VolumeSizeInGB": 100,
        "VolumeKmsKeyId": "alias/vol",
        "InstanceCount": 2,
        "InstanceType": "ml.m5.xlarge",
    }
    assert request["OutputDataConfig"] == {"S3OutputPath": "s3://artifacts/out", "KmsKeyId": "alias/out"}
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}
    assert request["EnableInterContainerTrafficEncryption"] is True and request["EnableNetworkIsolation"] is True
    assert request["AlgorithmSpecification"]["EnableSageMakerMetricsTimeSeries"] is False
    assert request["AlgorithmSpecification"]["TrainingInputMode"] == "Pipe"
    assert request["Environment"] == {"MODE": "fast"}
    assert request["RetryStrategy"] == {"MaximumRetryAttempts": 3}


def test_false_flags_are_left_out_like_the_sdk() -> None:
    request = build(encrypt_inter_container_traffic=False, enable_network_isolation=False, use_spot_instances=False)
    assert not {"EnableInterContainerTrafficEncryption", "EnableNetworkIsolation", "EnableManagedSpotTraining"} & set(
        request
    )


def test_spot_with_checkpoints() -> None:
    request = build(
        use_spot_instances=True,
        max_run=3600,
        max_wait=7200,
        checkpoint_s3_uri="s3://artifacts/ck",
        checkpoint_local_path="/opt/ml/checkpoints",
    )
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    assert request["CheckpointConfig"] == {"S3Uri": "s3://artifacts/ck", "LocalPath": "/opt/ml/checkpoints"}


def test_checkpoint_without_spot_is_kept() -> None:
    assert build(checkpoint_s3_uri="s3://artifacts/ck")["CheckpointConfig"] == {"S3Uri": "s3://artifacts/ck"}


def test_metric_definitions_and_experiment_config_pass_through() -> None:
    metrics = [{"Name": "ganloss", "Regex": "GAN_loss=(.*?);"}]
    request = build(
        metric_definitions=metrics, experiment_config={"ExperimentName": "gan", "TrialName": "t1", "RunName": "r1"}
    )
    assert request["AlgorithmSpecification"]["MetricDefinitions"] == metrics
    assert request["ExperimentConfig"] == {"ExperimentName": "gan", "TrialName": "t1", "RunName": "r1"}
    assert "ExperimentConfig" not in build(experiment_config={})


def test_role_name_is_expanded_with_the_stack_account() -> None:
    request = build_training_job(
        {**BASE, "role": "other-role"},
        region="eu-west-1",
        defaults=PlatformDefaults(role_arn="arn:aws:iam::210987654321:role/stack-role"),
        now=NOW,
    ).request
    assert request["RoleArn"] == "arn:aws:iam::210987654321:role/other-role"


def test_role_name_without_a_stack_role_is_an_error() -> None:
    with pytest.raises(InvalidTrainingInput) as caught:
        build(role="just-a-name")
    assert caught.value.problems[0].field == "role"


def test_every_local_storage_family_is_a_sagemaker_training_family() -> None:
    """The NVMe list names families SageMaker trains on (a typo would silently send a refused volume key)."""
    import botocore.session

    from training_request.instance_storage import LOCAL_STORAGE_FAMILIES, has_local_storage, instance_family

    enum = botocore.session.get_session().get_service_model("sagemaker").shape_for("TrainingInstanceType").enum
    assert {instance_family(name) for name in enum} >= LOCAL_STORAGE_FAMILIES
    assert has_local_storage("ml.g5.2xlarge") and has_local_storage("ml.p4d.24xlarge")
    assert not has_local_storage("ml.m5.xlarge") and not has_local_storage("ml.p3.2xlarge")


def test_an_old_botocore_stops_the_builder_with_an_error_naming_both_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A Lambda runtime whose SageMaker model predates members the builder sends: a clear error, not a
    # KeyError deep in the validation.
    import botocore

    from botocore_features import OutdatedBotocore
    from training_request import validation

    monkeypatch.setattr(botocore, "__version__", "1.20.10")
    validation.operation_input_shape.cache_clear()
    validation.shape_at.cache_clear()
    try:
        with pytest.raises(OutdatedBotocore) as caught:
            build_training_job(
                {"instance_type": "ml.m5.large", "instance_count": 1},
                region="eu-west-1",
                defaults=PlatformDefaults.stand_ins("eu-west-1"),
            )
    finally:
        validation.operation_input_shape.cache_clear()
        validation.shape_at.cache_clear()
    assert str(caught.value) == (
        "Checking a request against SageMaker's CreateTrainingJob model needs botocore 1.20.64 or newer; "
        "the Lambda runtime has 1.20.10 (the platform needs 1.35.2)"
    )
