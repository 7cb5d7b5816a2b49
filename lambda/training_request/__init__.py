"""THE request builder: Estimator(...) + fit() keyword arguments (JSON) -> CreateTrainingJob request, and with a
`tuner` (HyperparameterTuner's keyword arguments) -> CreateHyperParameterTuningJob request.

The Lambda, trainctl and the tests import this package; it needs only the standard library at import
time (botocore's service model is loaded on the first build)."""

from .builder import TrainingJob, build_training_job
from .defaults import PlatformDefaults
from .errors import InvalidTrainingInput, Problem
from .tuning import TuningJob, build_job, build_tuning_job, is_tuning_request

__all__ = [
    "InvalidTrainingInput",
    "PlatformDefaults",
    "Problem",
    "TrainingJob",
    "TuningJob",
    "build_job",
    "build_training_job",
    "build_tuning_job",
    "is_tuning_request",
]
