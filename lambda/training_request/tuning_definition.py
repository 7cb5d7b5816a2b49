"""A tuning job's TrainingJobDefinition from the training request's CreateTrainingJob request: the members a
tuning job's training jobs take, as sagemaker.session.Session._map_training_config lays them out.

What the SDK leaves out of a tuning job (the job name, tags, experiment, Debugger, profiler and TensorBoard
settings) is either rejected from the input before (tuning.NOT_FOR_TUNING) or set by the training builder on
its own (its Debugger and profiler defaults) and left out here. Any other member a newer builder adds that
the definition cannot carry is a problem, never dropped without a word.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import Problems

# Members of a CreateTrainingJob request that a tuning job's definition does not carry: the tuning job names,
# tags and tracks its own training jobs; Debugger and profiler settings exist only for single jobs.
LEFT_TO_THE_TUNING_JOB = (
    "TrainingJobName", "Tags", "ExperimentConfig", "HyperParameters", "DebugHookConfig", "DebugRuleConfigurations",
    "TensorBoardOutputConfig", "ProfilerConfig", "ProfilerRuleConfigurations",
)  # fmt: skip
CARRIED = (
    "InputDataConfig", "VpcConfig", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining", "CheckpointConfig", "RetryStrategy", "Environment",
)  # fmt: skip
BUILT_HERE = ("RoleArn", "OutputDataConfig", "StoppingCondition", "ResourceConfig", "AlgorithmSpecification")
# HyperParameterTuningResourceConfig, in the SDK's order (_TuningJob._prepare_hp_resource_config).
RESOURCE_MEMBERS = ("VolumeKmsKeyId", "InstanceCount", "InstanceType", "VolumeSizeInGB")
ALGORITHM_MEMBERS = ("TrainingInputMode", "TrainingImage", "MetricDefinitions", "EnableSageMakerMetricsTimeSeries")


def training_job_definition(
    training: Mapping[str, object],
    static_hyperparameters: dict[str, str],
    metric_definitions: list[dict[str, str]] | None,
    problems: Problems,
) -> dict[str, object]:
    """The definition; `metric_definitions` are the tuner's (the Estimator's are not used by a tuning job)."""
    resources: Mapping[str, object] = training["ResourceConfig"]  # type: ignore[assignment]
    algorithm: Mapping[str, object] = training["AlgorithmSpecification"]  # type: ignore[assignment]
    _report_not_carried(training, resources, algorithm, problems)
    specification: dict[str, object] = {"TrainingInputMode": algorithm["TrainingInputMode"]}
    if metric_definitions is not None:
        specification["MetricDefinitions"] = metric_definitions
    specification["TrainingImage"] = algorithm["TrainingImage"]
    definition: dict[str, object] = {
        "StaticHyperParameters": static_hyperparameters,
        "RoleArn": training["RoleArn"],
        "OutputDataConfig": training["OutputDataConfig"],
        "StoppingCondition": training["StoppingCondition"],
        "HyperParameterTuningResourceConfig": {key: resources[key] for key in RESOURCE_MEMBERS if key in resources},
        "AlgorithmSpecification": specification,
    }
    definition.update({member: training[member] for member in CARRIED if member in training})
    return definition


def _report_not_carried(
    training: Mapping[str, object], resources: Mapping[str, object], algorithm: Mapping[str, object], problems: Problems
) -> None:
    known = (*LEFT_TO_THE_TUNING_JOB, *CARRIED, *BUILT_HERE)
    unsupported = [member for member in training if member not in known]
    unsupported += [f"ResourceConfig.{key}" for key in resources if key not in RESOURCE_MEMBERS]
    unsupported += [f"AlgorithmSpecification.{key}" for key in algorithm if key not in ALGORITHM_MEMBERS]
    for member in unsupported:
        problems.add(
            "request",
            member,
            "a tuning job's training jobs cannot take this setting (CreateHyperParameterTuningJob's training job "
            "definition has no such member): leave out the argument that sets it",
        )
