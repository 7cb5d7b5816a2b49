"""THE request builder: Estimator(...) + fit() keyword arguments (JSON) -> CreateTrainingJob request.

The Lambda, trainctl and the tests import this package; it needs only the standard library at import
time (botocore's service model is loaded on the first build)."""

from .builder import TrainingJob, build_training_job
from .defaults import PlatformDefaults
from .errors import InvalidTrainingInput, Problem

__all__ = ["InvalidTrainingInput", "PlatformDefaults", "Problem", "TrainingJob", "build_training_job"]
