"""Data from the SageMaker Python SDK 2.257.7 and smdebug-rulesconfig 1.0.1, copied once so that the
Lambda needs neither: built-in Debugger rules (`rule_configs.<fn>()`), built-in profiler rules
(`rule_configs.<Cls>()`, their default parameters) and the rule evaluator image registries
(`sagemaker/image_uri_config/debugger.json`). tests/parity compares them with the SDK."""

from collections.abc import Mapping
from typing import TypedDict

# image_uri_config/debugger.json: region -> account of the `sagemaker-debugger-rules` repository.
RULE_EVALUATOR_ACCOUNTS: Mapping[str, str] = {
    "af-south-1": "314341159256",
    "ap-east-1": "199566480951",
    "ap-northeast-1": "430734990657",
    "ap-northeast-2": "578805364391",
    "ap-northeast-3": "479947661362",
    "ap-south-1": "904829902805",
    "ap-southeast-1": "972752614525",
    "ap-southeast-2": "184798709955",
    "ca-central-1": "519511493484",
    "cn-north-1": "618459771430",
    "cn-northwest-1": "658757709296",
    "eu-central-1": "482524230118",
    "eu-north-1": "314864569078",
    "eu-south-1": "563282790590",
    "eu-west-1": "929884845733",
    "eu-west-2": "250201462417",
    "eu-west-3": "447278800020",
    "me-south-1": "986000313247",
    "sa-east-1": "818342061345",
    "us-east-1": "503895931360",
    "us-east-2": "915447279597",
    "us-gov-west-1": "515509971035",
    "us-west-1": "685455198987",
    "us-west-2": "895741380848",
}
RULE_EVALUATOR_REPOSITORY = "sagemaker-debugger-rules"

# smdebug_rulesconfig built-in rule functions: rule name, default RuleParameters and the collections
# (name, parameters) the rule saves, in the SDK's order.


class BuiltinDebuggerRule(TypedDict):
    name: str  # the rule's RuleConfigurationName
    parameters: Mapping[str, str]  # its default RuleParameters
    collections: list[tuple[str, Mapping[str, str] | None]]  # (name, parameters) of what it saves


DEBUGGER_RULES: Mapping[str, BuiltinDebuggerRule] = {
    "all_zero": {"name": "AllZero", "parameters": {"rule_to_invoke": "AllZero"}, "collections": []},
    "check_input_images": {
        "name": "CheckInputImages",
        "parameters": {"rule_to_invoke": "CheckInputImages"},
        "collections": [("input_image", {"include_regex": ".*hybridsequential0_input_0", "save_interval": "500"})],
    },
    "class_imbalance": {
        "name": "ClassImbalance",
        "parameters": {"rule_to_invoke": "ClassImbalance"},
        "collections": [],
    },
    "confusion": {"name": "Confusion", "parameters": {"rule_to_invoke": "Confusion"}, "collections": []},
    "create_xgboost_report": {
        "name": "CreateXgboostReport",
        "parameters": {"rule_to_invoke": "CreateXgboostReport"},
        "collections": [
            ("metrics", {"save_interval": "5"}),
            ("feature_importance", {"save_interval": "5"}),
            ("hyperparameters", {"save_steps": "0"}),
            ("predictions", {"save_interval": "5"}),
            ("labels", {"save_interval": "5"}),
        ],
    },
    "dead_relu": {
        "name": "DeadRelu",
        "parameters": {"rule_to_invoke": "DeadRelu"},
        "collections": [("relu_output", {"include_regex": ".*relu_output", "save_interval": "500"})],
    },
    "exploding_tensor": {
        "name": "ExplodingTensor",
        "parameters": {"rule_to_invoke": "ExplodingTensor"},
        "collections": [],
    },
    "feature_importance_overweight": {
        "name": "FeatureImportanceOverweight",
        "parameters": {"rule_to_invoke": "FeatureImportanceOverweight"},
        "collections": [("feature_importance", {"save_interval": "500"})],
    },
    "loss_not_decreasing": {
        "name": "LossNotDecreasing",
        "parameters": {"rule_to_invoke": "LossNotDecreasing"},
        "collections": [("losses", {"save_interval": "500"})],
    },
    "nlp_sequence_ratio": {
        "name": "NLPSequenceRatio",
        "parameters": {"rule_to_invoke": "NLPSequenceRatio"},
        "collections": [("input_sequence", {"include_regex": ".*embedding0_input_0", "save_interval": "500"})],
    },
    "overfit": {"name": "Overfit", "parameters": {"rule_to_invoke": "Overfit"}, "collections": []},
    "overtraining": {"name": "Overtraining", "parameters": {"rule_to_invoke": "Overtraining"}, "collections": []},
    "poor_weight_initialization": {
        "name": "PoorWeightInitialization",
        "parameters": {"rule_to_invoke": "PoorWeightInitialization"},
        "collections": [("relu_input", {"include_regex": ".*relu_input", "save_interval": "500"})],
    },
    "saturated_activation": {
        "name": "SaturatedActivation",
        "parameters": {"rule_to_invoke": "SaturatedActivation"},
        "collections": [],
    },
    "similar_across_runs": {
        "name": "SimilarAcrossRuns",
        "parameters": {"rule_to_invoke": "SimilarAcrossRuns"},
        "collections": [],
    },
    "stalled_training_rule": {
        "name": "StalledTrainingRule",
        "parameters": {"rule_to_invoke": "StalledTrainingRule"},
        "collections": [],
    },
    "tensor_variance": {
        "name": "TensorVariance",
        "parameters": {"rule_to_invoke": "TensorVariance"},
        "collections": [],
    },
    "tree_depth": {"name": "TreeDepth", "parameters": {"rule_to_invoke": "TreeDepth"}, "collections": []},
    "unchanged_tensor": {
        "name": "UnchangedTensor",
        "parameters": {"rule_to_invoke": "UnchangedTensor"},
        "collections": [],
    },
    "vanishing_gradient": {
        "name": "VanishingGradient",
        "parameters": {"rule_to_invoke": "VanishingGradient"},
        "collections": [("gradients", {"save_interval": "500"})],
    },
    "weight_update_ratio": {
        "name": "WeightUpdateRatio",
        "parameters": {"rule_to_invoke": "WeightUpdateRatio"},
        "collections": [("weights", {"save_interval": "500"})],
    },
}

# smdebug_rulesconfig profiler rule classes: their RuleParameters with default constructor arguments.
PROFILER_RULES: Mapping[str, Mapping[str, object]] = {
    "BatchSize": {
        "cpu_threshold_p95": 70,
        "gpu_threshold_p95": 70,
        "gpu_memory_threshold_p95": 70,
        "patience": 1000,
        "window": 500,
        "scan_interval_us": 60000000,
        "rule_to_invoke": "BatchSize",
    },
    "CPUBottleneck": {
        "threshold": 50,
        "gpu_threshold": 10,
        "cpu_threshold": 90,
        "patience": 1000,
        "scan_interval_us": 60000000,
        "rule_to_invoke": "CPUBottleneck",
    },
    "GPUMemoryIncrease": {
        "increase": 5,
        "patience": 1000,
        "window": 10,
        "scan_interval_us": 60000000,
        "rule_to_invoke": "GPUMemoryIncrease",
    },
    "IOBottleneck": {
        "threshold": 50,
        "gpu_threshold": 10,
        "io_threshold": 50,
        "patience": 1000,
        "scan_interval_us": 60000000,
        "rule_to_invoke": "IOBottleneck",
    },
    "LoadBalancing": {
        "threshold": 0.5,
        "patience": 1000,
        "scan_interval_us": 60000000,
        "rule_to_invoke": "LoadBalancing",
    },
    "LowGPUUtilization": {
        "threshold_p95": 70,
        "threshold_p5": 10,
        "window": 500,
        "patience": 1000,
        "scan_interval_us": 60000000,
        "rule_to_invoke": "LowGPUUtilization",
    },
    "MaxInitializationTime": {"threshold": 20, "scan_interval_us": 60000000, "rule_to_invoke": "MaxInitializationTime"},
    "OverallSystemUsage": {"scan_interval_us": 60000000, "rule_to_invoke": "OverallSystemUsage"},
    "ProfilerReport": {"rule_to_invoke": "ProfilerReport"},
    "StepOutlier": {
        "stddev": 3,
        "mode": None,
        "n_outliers": 10,
        "scan_interval_us": 60000000,
        "rule_to_invoke": "StepOutlier",
    },
}

# ProfilerReport(**params) accepts `<rule>_<parameter>` keys for these rules (rule name case-insensitive).
PROFILER_REPORT_RULE_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "BatchSize": (
        "cpu_threshold_p95",
        "gpu_threshold_p95",
        "gpu_memory_threshold_p95",
        "patience",
        "window",
        "scan_interval_us",
    ),
    "CPUBottleneck": ("threshold", "gpu_threshold", "cpu_threshold", "patience", "scan_interval_us"),
    "Dataloader": ("min_threshold", "max_threshold", "scan_interval_us"),
    "GPUMemoryIncrease": ("increase", "patience", "window", "scan_interval_us"),
    "IOBottleneck": ("threshold", "gpu_threshold", "io_threshold", "patience", "scan_interval_us"),
    "LoadBalancing": ("threshold", "patience", "scan_interval_us"),
    "LowGPUUtilization": ("threshold_p95", "threshold_p5", "window", "patience", "scan_interval_us"),
    "MaxInitializationTime": ("threshold", "scan_interval_us"),
    "OverallSystemUsage": ("scan_interval_us",),
    "StepOutlier": ("stddev", "mode", "n_outliers", "scan_interval_us"),
}

# sagemaker.fw_utils: regions where the SDK turns the Debugger hook and the profiler off.
DEBUGGER_UNSUPPORTED_REGIONS: tuple[str, ...] = (
    "us-iso-east-1",
    "us-isob-east-1",
    "ap-southeast-3",
    "ap-southeast-4",
    "eu-south-2",
    "me-central-1",
    "ap-south-2",
    "eu-central-2",
    "us-gov-east-1",
)
PROFILER_UNSUPPORTED_REGIONS: tuple[str, ...] = DEBUGGER_UNSUPPORTED_REGIONS
