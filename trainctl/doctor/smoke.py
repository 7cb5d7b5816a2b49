"""`trainctl doctor --smoke`: one minimal training through the workflow, followed to its end.

It trains the repository's default image on one ml.m5.large with no input channels and no
hyperparameters, under a short runtime limit: it shows that the whole path works (the workflow,
Prepare, CreateTrainingJob with the execution role, the image pull, the logs and the upload of the
model with the project key). Whether the image itself trains without inputs is the image's business:
a job that ran and then failed in the image says so."""

from __future__ import annotations

from collections.abc import Callable

from platform_contract import TrainingJobStatus
from trainctl.doctor.results import CheckResult, failed
from trainctl.errors import TrainingFailedToStart
from trainctl.platform import Platform
from trainctl.reporting import duration, invocation

SMOKE_MAX_RUN_SECONDS = 1200
SMOKE_INPUT: dict[str, object] = {
    "base_job_name": "doctor-smoke",
    "instance_type": "ml.m5.large",
    "instance_count": 1,
    "max_run": SMOKE_MAX_RUN_SECONDS,
    # No Debugger or profiler jobs beside it: the smallest training the platform runs.
    "debugger_hook_config": False,
    "disable_profiler": True,
}
SUBJECT = "smoke training"


def run_smoke(platform: Platform, progress: Callable[[str], None]) -> CheckResult:
    training = platform.start(SMOKE_INPUT)
    progress(f"execution: {training.execution_arn}")
    try:
        job_name = training.wait_for_job()
        progress(f"job:       {job_name}")
        for event in training.events(logs=False):
            progress(str(event))
        state = training.final_state()
    except TrainingFailedToStart as error:
        return failed(SUBJECT, str(error), "see the execution in the Step Functions console")
    except KeyboardInterrupt:
        platform.stop(training.execution_arn)  # the doctor's own training: never left running
        progress(f"stopped {training.execution_arn}")
        raise
    job = state.job
    if state.succeeded and job is not None:
        return CheckResult(SUBJECT, f"job {job_name} completed in {duration(job.duration_seconds())}")
    status = job.status if job else "not created"
    reason = (
        (job.failure_reason if job else None)
        or (state.execution.cause if state.execution else None)
        or "no reason given"
    )
    what = f"job {job_name} {status}: {reason}"
    if job is not None and job.status == TrainingJobStatus.FAILED.value and reason.startswith("AlgorithmError"):
        return failed(
            SUBJECT,
            what,
            f"the platform ran the job; the image failed with no inputs or hyperparameters: {invocation()} logs {job_name}",
        )
    return failed(SUBJECT, what, f"see {invocation()} status {job_name} and {invocation()} logs {job_name}")
