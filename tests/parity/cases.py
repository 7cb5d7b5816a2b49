"""Named execution inputs for the parity test: every Estimator and fit() parameter an execution input
takes and every helper-object form, each valid for both the SDK and the service.

Every case names its role, image and output path, so the only differences left between the SDK's
request and ours are the deliberate ones; most give `job_name` so the name compares exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-Training"
IMAGE = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/gan-trainer:latest"
IMAGE_DIGEST = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/gan-trainer@sha256:" + "0a1b2c3d" * 8
OUTPUT = "s3://team-artifacts/training-output"
DATA = "s3://team-datasets/gan"
CHECKPOINTS = "s3://team-checkpoints/gan"
KMS_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"]
SECURITY_GROUPS = ["sg-0123456789abcdef0"]

# The seed notes' metric regexes (the GAN container prints these on stdout).
GAN_METRICS = [
    {"Name": "loss", "Regex": "Loss = (.*?);"},
    {"Name": "ganloss", "Regex": "GAN_loss=(.*?);"},
    {"Name": "discloss", "Regex": "disc_train_loss=(.*?);"},
    {"Name": "disc-combined", "Regex": "disc-combined=(.*?);"},
]

EFS_INPUT = {
    "file_system_id": "fs-0123456789abcdef0",
    "file_system_type": "EFS",
    "directory_path": "/gan/train",
}
FSX_INPUT = {
    "file_system_id": "fs-0fedcba9876543210",
    "file_system_type": "FSxLustre",
    "directory_path": "/fsx/gan/validation",
    "file_system_access_mode": "rw",
    "content_type": "application/x-image",
}


# A heterogeneous cluster: data preprocessing on CPU instances feeding training on GPU instances.
HETEROGENEOUS_GROUPS = [
    {"instance_group_name": "gpu-group", "instance_type": "ml.p3.2xlarge", "instance_count": 2},
    {"instance_group_name": "cpu-group", "instance_type": "ml.c5.2xlarge", "instance_count": 1},
]
# Script mode: the code as the SDK uploads it, a tar.gz whose root holds the entry point.
SOURCE_ARCHIVE = "s3://team-code/gan/sourcedir.tar.gz"
REGISTRY_CREDENTIALS_LAMBDA = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:registry-credentials"
TRAINING_PLAN = f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:training-plan/gan-reserved-capacity"


@dataclass(frozen=True)
class ParityCase:
    name: str
    execution_input: dict[str, Any]
    region: str = "eu-west-1"
    covers: tuple[str, ...] = field(default=())  # what the case is there for, for the reader


def base_input(**overrides: Any) -> dict[str, Any]:
    execution_input: dict[str, Any] = {
        "role": ROLE,
        "image_uri": IMAGE,
        "instance_count": 1,
        "instance_type": "ml.m5.xlarge",
        "output_path": OUTPUT,
        "inputs": f"{DATA}/train",
    }
    execution_input.update(overrides)
    return execution_input


def _case(name: str, region: str = "eu-west-1", **overrides: Any) -> ParityCase:
    """A case named `name`; its job name is `parity-<name>` unless given. An override of None
    leaves the key out of the input (the SDK's default), as a console user would."""
    overrides.setdefault("job_name", f"parity-{name.replace('_', '-')}"[:63])
    execution_input = {k: v for k, v in base_input(**overrides).items() if v is not None}
    return ParityCase(name, execution_input, region)


CASES: tuple[ParityCase, ...] = (
    _case("minimal"),
    _case("no_inputs", inputs=None),
    _case(
        "seed_gan_example",
        inputs={"nome_modello": f"{DATA}/nome_modello"},
        instance_type="ml.p3.2xlarge",
        hyperparameters={"epochs": 200, "batch_size": 64, "lr": 0.0002, "model": "pix2pix"},
        metric_definitions=GAN_METRICS,
        tensorboard_output_config={
            "s3_output_path": "s3://team-artifacts/tensorboard/data/",
            "container_local_output_path": "/local/path/tensorboard/data/",
        },
        tags=[{"Key": "team", "Value": "vision"}],
    ),
    _case(
        "hyperparameter_value_types",
        hyperparameters={
            "flag": True,
            "off": False,
            "ratio": 0.5,
            "big": 10**12,
            "text": "a b",
            "layers": [64, 128],
            "opts": {"beta": 0.9},
            "empty": "",
        },
    ),
    _case("training_input_top_level", inputs={"s3_data": f"{DATA}/train"}),
    _case(
        "training_input_every_option",
        inputs={
            "s3_data": f"{DATA}/manifest.json",
            "distribution": "ShardedByS3Key",
            "compression": "Gzip",
            "content_type": "application/x-recordio",
            "record_wrapping": "RecordIO",
            "s3_data_type": "ManifestFile",
            "input_mode": "Pipe",
        },
        instance_count=2,
    ),
    _case(
        "training_input_augmented_manifest",
        inputs={
            "train": {
                "s3_data": f"{DATA}/augmented.manifest",
                "s3_data_type": "AugmentedManifestFile",
                "attribute_names": ["source-ref", "label"],
                "record_wrapping": "RecordIO",
                "input_mode": "Pipe",
            }
        },
    ),
    _case(
        "training_input_instance_groups",
        instance_type=None,
        instance_count=None,
        instance_groups=HETEROGENEOUS_GROUPS,
        inputs={"train": {"s3_data": f"{DATA}/train", "instance_groups": ["gpu-group"]}},
    ),
    _case(
        "training_input_shuffle_config",
        inputs={"train": {"s3_data": f"{DATA}/train", "shuffle_config": {"seed": 42}}},
    ),
    _case(
        "channels_mapping_of_strings",
        inputs={"train": f"{DATA}/train", "validation": f"{DATA}/validation", "test": f"{DATA}/t"},
    ),
    _case(
        "channels_mixed_forms",
        inputs={
            "train": {"s3_data": f"{DATA}/train", "distribution": "ShardedByS3Key"},
            "validation": f"{DATA}/validation",
            "reference": EFS_INPUT,
        },
        subnets=SUBNETS,
        security_group_ids=SECURITY_GROUPS,
    ),
    _case(
        "file_system_input_efs",
        inputs=EFS_INPUT,
        subnets=SUBNETS,
        security_group_ids=SECURITY_GROUPS,
    ),
    _case(
        "file_system_input_fsx_every_option",
        inputs={"validation": FSX_INPUT},
        subnets=SUBNETS,
        security_group_ids=SECURITY_GROUPS,
    ),
    _case("model_uri_default_channel", model_uri="s3://team-artifacts/previous/model.tar.gz"),
    _case(
        "model_uri_named_channel",
        model_uri="s3://team-artifacts/previous/model.tar.gz",
        model_channel_name="pretrained",
        inputs={"nome_modello": f"{DATA}/nome_modello"},
    ),
    _case(
        "spot_with_checkpoints",
        use_spot_instances=True,
        max_run=3600,
        max_wait=7200,
        checkpoint_s3_uri=CHECKPOINTS,
        checkpoint_local_path="/opt/ml/checkpoints",
    ),
    _case(
        "spot_checkpoint_uri_only",
        use_spot_instances=True,
        max_wait=86400,
        checkpoint_s3_uri=CHECKPOINTS,
    ),
    _case("checkpoints_without_spot", checkpoint_s3_uri=CHECKPOINTS),
    _case("vpc", subnets=SUBNETS, security_group_ids=SECURITY_GROUPS),
    _case("kms_keys", volume_kms_key=KMS_KEY, output_kms_key=KMS_KEY),
    _case("volume_and_runtime", volume_size=250, max_run=5 * 24 * 3600),
    _case("network_isolation", enable_network_isolation=True),
    _case(
        "inter_container_encryption",
        encrypt_inter_container_traffic=True,
        instance_count=2,
        subnets=SUBNETS,
        security_group_ids=SECURITY_GROUPS,
    ),
    _case("metric_definitions", metric_definitions=GAN_METRICS),
    _case("environment", environment={"LOG_LEVEL": "debug", "WANDB_MODE": "offline"}),
    _case("max_retry_attempts", max_retry_attempts=3),
    _case(
        "tensorboard_s3_path_only",
        tensorboard_output_config={"s3_output_path": "s3://team-artifacts/tensorboard"},
    ),
    _case("debugger_rule", rules=[{"rule": "loss_not_decreasing"}]),
    _case(
        "debugger_rules_with_parameters",
        rules=[
            {"rule": "loss_not_decreasing", "rule_parameters": {"mode": "TRAIN", "num_steps": "20"}},
            {"rule": "vanishing_gradient"},
            {"rule": "overfit", "rule_parameters": {"patience_validation": "5"}},
        ],
    ),
    _case("profiler_rule", rules=[{"profiler_rule": "ProfilerReport"}]),
    _case(
        "debugger_and_profiler_rules",
        rules=[
            {"rule": "overtraining"},
            {"profiler_rule": "ProfilerReport"},
            {"profiler_rule": "CPUBottleneck"},
        ],
    ),
    _case("debugger_hook_off", debugger_hook_config=False),
    _case(
        "debugger_hook_config_every_option",
        debugger_hook_config={
            "s3_output_path": "s3://team-artifacts/debug",
            "container_local_output_path": "/opt/ml/output/tensors",
            "hook_parameters": {"save_interval": "100"},
            "collection_configs": [
                {"name": "losses", "parameters": {"save_interval": "10"}},
                {"name": "weights"},
            ],
        },
    ),
    _case(
        "debugger_hook_collections_with_rule",
        debugger_hook_config={"collection_configs": [{"name": "gradients"}]},
        rules=[{"rule": "exploding_tensor"}],
    ),
    _case(
        "profiler_config",
        profiler_config={
            "s3_output_path": "s3://team-artifacts/profiler",
            "system_monitor_interval_millis": 500,
        },
    ),
    _case("profiler_config_disabled", profiler_config={"disable_profiler": True}),
    _case("disable_profiler", disable_profiler=True),
    _case(
        "disable_profiler_and_debugger_hook",
        disable_profiler=True,
        debugger_hook_config=False,
    ),
    _case("sagemaker_metrics_on", enable_sagemaker_metrics=True),
    _case("sagemaker_metrics_off", enable_sagemaker_metrics=False),
    _case("input_mode_pipe", input_mode="Pipe"),
    _case(
        "input_mode_fastfile",
        input_mode="FastFile",
        inputs={"train": f"{DATA}/train", "validation": {"s3_data": f"{DATA}/v", "input_mode": "File"}},
    ),
    _case(
        "experiment_config",
        experiment_config={
            "ExperimentName": "gan-experiments",
            "TrialName": "pix2pix-trial",
            "TrialComponentDisplayName": "training",
            "RunName": "run-1",
        },
    ),
    _case(
        "tags_list",
        tags=[{"Key": "team", "Value": "vision"}, {"Key": "cost-center", "Value": "1234"}],
    ),
    _case("tags_mapping", tags={"team": "vision", "project": "gan"}),
    _case("tags_carry_cer", tags=[{"Key": "CER", "Value": "1"}, {"Key": "team", "Value": "x"}]),
    _case("wait_false_logs_none", wait=False, logs="None"),
    _case("region_us_east_1_rules", region="us-east-1", rules=[{"rule": "overfit"}]),
    _case(
        "region_china_rules",
        region="cn-north-1",
        role=f"arn:aws-cn:iam::{ACCOUNT}:role/SageMakerRole",
        image_uri=f"{ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/gan-trainer:latest",
        output_path="s3://team-artifacts-cn/output",
        inputs="s3://team-datasets-cn/gan",
        rules=[{"rule": "loss_not_decreasing"}, {"profiler_rule": "ProfilerReport"}],
    ),
    _case("region_without_debugger_ap_southeast_3", region="ap-southeast-3"),
    _case(
        "region_without_debugger_hook_off",
        region="eu-central-2",
        debugger_hook_config=False,
        disable_profiler=True,
    ),
    _case(
        "region_without_debugger_us_gov_east_1",
        region="us-gov-east-1",
        role=f"arn:aws-us-gov:iam::{ACCOUNT}:role/SageMakerRole",
    ),
    _case("trainium_instance_no_profiler", instance_type="ml.trn1.2xlarge"),
    _case("trainium_instance_with_rules", instance_type="ml.trn1.32xlarge", rules=[{"rule": "loss_not_decreasing"}]),
    _case("gpu_instance_two_nodes", instance_type="ml.g5.12xlarge", instance_count=2),
    _case("keep_alive_warm_pool", keep_alive_period_in_seconds=1800),
    _case("keep_alive_zero_is_sent", keep_alive_period_in_seconds=0),
    _case(
        "container_entry_point_and_arguments",
        container_entry_point=["python3", "/opt/ml/code/train.py"],
        container_arguments=["--epochs", "10", ""],
    ),
    _case("training_repository_platform_mode", training_repository_access_mode="Platform"),
    _case(
        "training_repository_private_registry",
        image_uri="registry.internal.example.com/vision/gan-trainer:1.4",
        training_repository_access_mode="Vpc",
        training_repository_credentials_provider_arn=REGISTRY_CREDENTIALS_LAMBDA,
        subnets=SUBNETS,
        security_group_ids=SECURITY_GROUPS,
    ),
    _case("disable_output_compression", disable_output_compression=True),
    _case("output_compression_kept", disable_output_compression=False, output_kms_key=KMS_KEY),
    _case("infra_check_on", enable_infra_check=True, instance_count=2),
    _case("infra_check_off_is_sent", enable_infra_check=False),
    _case("remote_debug_on", enable_remote_debug=True),
    _case("remote_debug_off_is_sent", enable_remote_debug=False),
    _case("session_tag_chaining", enable_session_tag_chaining=True),
    _case("session_tag_chaining_off_is_sent", enable_session_tag_chaining=False),
    _case("training_plan", training_plan=TRAINING_PLAN, instance_type="ml.p5.48xlarge"),
    _case(
        "instance_placement_config",
        instance_type="ml.p6e-gb200.36xlarge",
        instance_count=2,
        training_plan=TRAINING_PLAN,
        instance_placement_config={
            "EnableMultipleJobs": True,
            "PlacementSpecifications": [{"UltraServerId": "us-0123456789", "InstanceCount": 2}],
        },
    ),
    _case(
        "heterogeneous_cluster",
        instance_type=None,
        instance_count=None,
        instance_groups=HETEROGENEOUS_GROUPS,
        volume_kms_key=KMS_KEY,
        keep_alive_period_in_seconds=600,
        inputs={
            "train": {"s3_data": f"{DATA}/train", "instance_groups": ["cpu-group"]},
            "validation": {"s3_data": f"{DATA}/validation", "instance_groups": ["cpu-group", "gpu-group"]},
            "reference": f"{DATA}/reference",
        },
    ),
    _case(
        "heterogeneous_cluster_with_rules",
        instance_type=None,
        instance_count=None,
        instance_groups=HETEROGENEOUS_GROUPS[:1],
        rules=[{"rule": "loss_not_decreasing"}, {"profiler_rule": "ProfilerReport"}],
    ),
    _case(
        "script_mode_s3_source_dir",
        entry_point="train.py",
        source_dir=SOURCE_ARCHIVE,
        hyperparameters={
            "epochs": 200,
            "lr": 0.0002,
            "model": "pix2pix",
            "flag": True,
            "layers": [64, 128],
            "opts": {"beta": 0.9},
            "accent": "perché",
        },
    ),
    _case("script_mode_without_hyperparameters", entry_point="train.py", source_dir=SOURCE_ARCHIVE),
    _case(
        "script_mode_generated_name",
        job_name=None,
        base_job_name="gan-script",
        entry_point="train.py",
        source_dir=SOURCE_ARCHIVE,
    ),
    _case(
        "script_mode_log_level_and_code_location",
        entry_point="train.py",
        source_dir=SOURCE_ARCHIVE,
        container_log_level=10,
        code_location="s3://team-code/uploads",
        dependencies=[],
    ),
    _case(
        "script_mode_network_isolation_code_channel",
        entry_point="train.py",
        source_dir=SOURCE_ARCHIVE,
        enable_network_isolation=True,
        model_uri="s3://team-artifacts/previous/model.tar.gz",
        inputs={"train": f"{DATA}/train"},
    ),
    _case(
        "script_mode_on_a_heterogeneous_cluster",
        instance_type=None,
        instance_count=None,
        instance_groups=HETEROGENEOUS_GROUPS,
        entry_point="train.py",
        source_dir=SOURCE_ARCHIVE,
        region="us-east-1",
    ),
    _case("container_log_level_without_script_mode", container_log_level=40),
    _case("generated_name_from_image", job_name=None),
    _case("generated_name_from_base_job_name", job_name=None, base_job_name="gan-nightly"),
    _case(
        "generated_name_long_base_is_truncated",
        job_name=None,
        base_job_name="a-very-long-base-job-name-for-the-gan-training-pipeline",
    ),
    _case("image_by_digest_with_job_name", image_uri=IMAGE_DIGEST),
    _case(
        "everything_at_once",
        inputs={
            "nome_modello": f"{DATA}/nome_modello",
            "validation": {"s3_data": f"{DATA}/validation", "shuffle_config": {"seed": 7}},
        },
        instance_type="ml.p3.2xlarge",
        instance_count=2,
        volume_size=100,
        volume_kms_key=KMS_KEY,
        output_kms_key=KMS_KEY,
        max_run=7200,
        max_wait=10800,
        use_spot_instances=True,
        checkpoint_s3_uri=CHECKPOINTS,
        checkpoint_local_path="/opt/ml/checkpoints",
        hyperparameters={"epochs": 10, "lr": 1e-4},
        tags={"team": "vision"},
        subnets=SUBNETS,
        security_group_ids=SECURITY_GROUPS,
        model_uri="s3://team-artifacts/previous/model.tar.gz",
        metric_definitions=GAN_METRICS,
        encrypt_inter_container_traffic=True,
        enable_network_isolation=True,
        rules=[{"rule": "loss_not_decreasing"}, {"profiler_rule": "ProfilerReport"}],
        tensorboard_output_config={"s3_output_path": "s3://team-artifacts/tensorboard"},
        enable_sagemaker_metrics=True,
        profiler_config={"system_monitor_interval_millis": 1000},
        environment={"MODE": "train"},
        max_retry_attempts=2,
        experiment_config={"ExperimentName": "gan", "TrialName": "t1"},
        base_job_name="ignored-when-job-name-given",
    ),
)

CASES_BY_NAME = {case.name: case for case in CASES}
assert len(CASES_BY_NAME) == len(CASES), "case names must be unique"
