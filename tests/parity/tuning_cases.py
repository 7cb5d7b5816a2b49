"""Named tuning requests for the parity test: a training request (cases.base_input) plus a `tuner` of
HyperparameterTuner's arguments, covering every tuner key, each range type and scaling, each strategy, warm
start type, completion criterion, and the SDK's quirks (static hyperparameters, tags, names, autotune).

Every case names its role, image and output path, so the only differences left between the SDK's request and
ours are the deliberate ones; most give `job_name` so the name compares exactly.
"""

from __future__ import annotations

from typing import Any

from .cases import CHECKPOINTS, DATA, GAN_METRICS, KMS_KEY, SECURITY_GROUPS, SUBNETS, ParityCase, base_input

LOSS = [{"Name": "loss", "Regex": "Loss = (.*?);"}]
LEARNING_RATE = {"type": "Continuous", "min_value": 0.0001, "max_value": 0.1, "scaling_type": "Logarithmic"}
BATCH_SIZE = {"type": "Integer", "min_value": 16, "max_value": 256}
OPTIMIZER = {"type": "Categorical", "values": ["adam", "sgd"]}


def tuner(**overrides: Any) -> dict[str, Any]:
    """A tuner minimizing `loss` over the learning rate; an override of None leaves the key out."""
    arguments: dict[str, Any] = {
        "objective_metric_name": "loss",
        "objective_type": "Minimize",
        "metric_definitions": LOSS,
        "hyperparameter_ranges": {"lr": LEARNING_RATE},
    }
    arguments.update(overrides)
    return {key: value for key, value in arguments.items() if value is not None}


def _case(name: str, tuner_arguments: dict[str, Any] | None = None, **overrides: Any) -> ParityCase:
    """A case named `name`; its tuning job is `t-<name>` (32 characters at most) unless given."""
    overrides.setdefault("job_name", f"t-{name.replace('_', '-')}"[:32].rstrip("-"))
    overrides["tuner"] = tuner_arguments if tuner_arguments is not None else tuner()
    execution_input = {key: value for key, value in base_input(**overrides).items() if value is not None}
    return ParityCase(name, execution_input)


TUNING_CASES: tuple[ParityCase, ...] = (
    _case("minimal"),
    _case(
        "continuous_every_scaling",
        tuner(
            hyperparameter_ranges={
                "lr": LEARNING_RATE,
                "momentum": {"type": "Continuous", "min_value": 0.5, "max_value": 0.99, "scaling_type": "Linear"},
                "dropout": {
                    "type": "Continuous",
                    "min_value": 0.0,
                    "max_value": 0.9,
                    "scaling_type": "ReverseLogarithmic",
                },
                "wd": {"type": "Continuous", "min_value": 0, "max_value": 1e-3, "scaling_type": "Auto"},
                "beta": {"type": "Continuous", "min_value": 0.8, "max_value": 1},
            }
        ),
    ),
    _case(
        "integer_every_scaling",
        tuner(
            hyperparameter_ranges={
                "batch_size": BATCH_SIZE,
                "layers": {"type": "Integer", "min_value": 1, "max_value": 8, "scaling_type": "Linear"},
                "units": {"type": "Integer", "min_value": 32, "max_value": 1024, "scaling_type": "Logarithmic"},
            }
        ),
    ),
    _case("categorical_strings", tuner(hyperparameter_ranges={"optimizer": OPTIMIZER})),
    _case(
        "categorical_numbers_and_booleans",
        tuner(hyperparameter_ranges={"epochs": {"type": "Categorical", "values": [10, 20.5, True, "x"]}}),
    ),
    _case(
        "categorical_single_value", tuner(hyperparameter_ranges={"model": {"type": "Categorical", "values": "unet"}})
    ),
    _case(
        "every_range_type_in_sdk_order",
        tuner(hyperparameter_ranges={"batch_size": BATCH_SIZE, "optimizer": OPTIMIZER, "lr": LEARNING_RATE}),
    ),
    _case(
        "static_hyperparameters_lose_tuned_names",
        hyperparameters={"epochs": 200, "lr": 0.0002, "batch_size": 64, "flag": True, "layers": [64, 128]},
        tuner_arguments=tuner(hyperparameter_ranges={"lr": LEARNING_RATE, "batch_size": BATCH_SIZE}),
    ),
    _case("no_hyperparameters_sends_empty_static"),
    _case("include_cls_metadata", include_cls_metadata=True, hyperparameters={"epochs": 5}),
    _case("strategy_random", tuner(strategy="Random", max_jobs=10, max_parallel_jobs=2)),
    _case(
        "strategy_grid",
        tuner(
            strategy="Grid",
            hyperparameter_ranges={"optimizer": OPTIMIZER, "model": {"type": "Categorical", "values": ["a", "b"]}},
            max_parallel_jobs=2,
        ),
    ),
    _case(
        "strategy_hyperband_with_config",
        tuner(
            strategy="Hyperband",
            max_jobs=20,
            strategy_config={"hyperband_strategy_config": {"max_resource": 30, "min_resource": 2}},
        ),
        hyperparameters={"epochs": 30},
    ),
    _case("strategy_hyperband_without_config", tuner(strategy="Hyperband", max_jobs=5)),
    _case("objective_maximize_by_default", tuner(objective_type=None)),
    _case("resource_limits", tuner(max_jobs=50, max_parallel_jobs=5, max_runtime_in_seconds=7200)),
    _case("early_stopping_auto", tuner(early_stopping_type="Auto", max_jobs=10)),
    _case(
        "warm_start_identical",
        tuner(warm_start_config={"warm_start_type": "IdenticalDataAndAlgorithm", "parents": ["gan-tuning-1"]}),
    ),
    _case(
        "warm_start_transfer_learning_parents",
        tuner(
            warm_start_config={
                "warm_start_type": "TransferLearning",
                "parents": ["gan-tuning-3", "gan-tuning-1", "gan-tuning-2", "gan-tuning-1"],
            }
        ),
    ),
    _case(
        "completion_criteria_every_one",
        tuner(
            completion_criteria_config={
                "max_number_of_training_jobs_not_improving": 5,
                "complete_on_convergence": True,
                "target_objective_metric_value": 0.05,
            },
            max_jobs=30,
        ),
    ),
    _case("completion_criteria_convergence_off", tuner(completion_criteria_config={"complete_on_convergence": False})),
    _case("completion_criteria_target_only", tuner(completion_criteria_config={"target_objective_metric_value": 1})),
    _case("random_seed", tuner(random_seed=42, strategy="Random")),
    _case(
        "gan_metric_definitions",
        tuner(metric_definitions=GAN_METRICS, objective_metric_name="ganloss"),
    ),
    _case(
        "tags_tuner_then_estimator",
        tuner(tags=[{"Key": "purpose", "Value": "tuning"}, {"Key": "team", "Value": "vision"}]),
        tags={"team": "vision", "project": "gan"},
    ),
    _case("tags_tuner_mapping", tuner(tags={"purpose": "tuning"})),
    _case("tags_tuner_carry_cer", tuner(tags=[{"Key": "CER", "Value": "1"}])),
    _case("generated_name_from_image", job_name=None),
    _case("generated_name_from_base_tuning_job_name", tuner(base_tuning_job_name="gan-hpo"), job_name=None),
    _case(
        "generated_name_long_base_is_truncated",
        tuner(base_tuning_job_name="a-very-long-base-tuning-job-name"),
        job_name=None,
    ),
    _case(
        "autotune_keeps_static_and_hints_the_rest",
        tuner(autotune=True, hyperparameter_ranges=None, hyperparameters_to_keep_static=["epochs"]),
        hyperparameters={"epochs": 20, "lr": 0.001, "batch_size": 32},
    ),
    _case(
        "autotune_with_ranges",
        tuner(autotune=True, hyperparameter_ranges={"lr": LEARNING_RATE}),
        hyperparameters={"epochs": 20, "lr": 0.001},
    ),
    _case(
        "spot_with_checkpoints",
        use_spot_instances=True,
        max_run=3600,
        max_wait=7200,
        checkpoint_s3_uri=CHECKPOINTS,
        checkpoint_local_path="/opt/ml/checkpoints",
    ),
    _case("spot_without_checkpoint_uri_gets_none", use_spot_instances=True, max_wait=86400),
    _case(
        "vpc_isolation_encryption_keys_environment_retries",
        subnets=SUBNETS,
        security_group_ids=SECURITY_GROUPS,
        enable_network_isolation=True,
        encrypt_inter_container_traffic=True,
        instance_count=2,
        volume_kms_key=KMS_KEY,
        output_kms_key=KMS_KEY,
        volume_size=100,
        environment={"MODE": "tune"},
        max_retry_attempts=2,
    ),
    _case("input_mode_from_training_input", inputs={"s3_data": f"{DATA}/train", "input_mode": "Pipe"}),
    _case(
        "channels_and_model",
        inputs={"train": f"{DATA}/train", "validation": {"s3_data": f"{DATA}/validation", "input_mode": "File"}},
        input_mode="FastFile",
        model_uri="s3://team-artifacts/previous/model.tar.gz",
    ),
    _case(
        "seed_gan_example",
        tuner(
            metric_definitions=GAN_METRICS,
            objective_metric_name="ganloss",
            hyperparameter_ranges={
                "lr": {"type": "Continuous", "min_value": 0.00005, "max_value": 0.001, "scaling_type": "Logarithmic"},
                "batch_size": {"type": "Categorical", "values": [32, 64, 128]},
            },
            max_jobs=12,
            max_parallel_jobs=3,
        ),
        inputs={"nome_modello": f"{DATA}/nome_modello"},
        instance_type="ml.p3.2xlarge",
        hyperparameters={"epochs": 200, "batch_size": 64, "lr": 0.0002, "model": "pix2pix"},
        tags=[{"Key": "team", "Value": "vision"}],
    ),
    _case("wait_false", wait=False, logs="None"),
)

TUNING_CASES_BY_NAME = {case.name: case for case in TUNING_CASES}
assert len(TUNING_CASES_BY_NAME) == len(TUNING_CASES), "case names must be unique"
