"""A started training: what `Platform.start` returns, to wait for its job (a training job, or a hyperparameter
tuning job for a tuning request), follow it and stop it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from platform_contract import RequestKind, TrainingJobStatus
from trainctl.errors import TrainingFailedToStart
from trainctl.history import NamedJob
from trainctl.states import ProgressEvent, StatusChange, TrainingState
from trainctl.tuning import TuningEvent

if TYPE_CHECKING:
    from trainctl.platform import Platform

# How many polls to give the workflow to record a job's end (or start a retry) before reporting.
_WORKFLOW_LAG_POLLS = 12


@dataclass
class Training:
    """A started execution of the training workflow and the job it runs."""

    platform: Platform
    execution_arn: str
    _job: NamedJob | None = None
    code_uri: str | None = None  # the script-mode code trainctl packaged and uploaded for it, if any

    def wait_for_job(self) -> str:
        """The job's name, once SageMaker has created it (Prepare names it a moment before, and
        `logs`/`status` need the job itself); TrainingFailedToStart if the execution ended first."""
        while self._job is None:
            named = self.platform.job_of(self.execution_arn)
            if named and self.platform.has_job(named):
                self._job = named
                break
            execution = self.platform.execution(self.execution_arn)
            if execution.finished:
                named = self.platform.job_of(self.execution_arn)
                if named and self.platform.has_job(named):
                    self._job = named
                    break
                raise TrainingFailedToStart(
                    f"execution {execution.name} {execution.status} before starting a job: "
                    f"{execution.error or 'no error'}: {execution.cause or 'no cause given'}",
                    error=execution.error,
                    cause=execution.cause,
                )
            self.platform.sleep(self.platform.poll_seconds)
        return self._job.name

    @property
    def job_name(self) -> str:
        return self.wait_for_job()

    @property
    def tuning(self) -> bool:
        """The execution runs a hyperparameter tuning job (known once the job exists)."""
        self.wait_for_job()
        return self._job is not None and self._job.tuning

    def events(self, *, logs: bool = True) -> Iterator[ProgressEvent | TuningEvent]:
        """Status changes (and log lines) until the job ends; when a job fails and the workflow
        starts another (a capacity retry under a fresh name), on into that one. For a tuning job: its
        status, each training job's end and each better objective (trainctl.tuning), never log lines
        (its training jobs run side by side: `logs` shows one)."""
        job_name = self.wait_for_job()
        if self.tuning:
            yield from self.platform.follow_tuning(job_name)
            return
        while True:
            yield from self.platform.follow(job_name, logs=logs)
            retry = self._job_after(job_name)
            if retry is None:
                return
            yield StatusChange("Retrying", f"{job_name} failed; the workflow retries it as {retry}", datetime.now(UTC))
            self._job = NamedJob(RequestKind.TRAINING, retry)
            job_name = retry

    def _job_after(self, job_name: str) -> str | None:
        """The job the execution started after `job_name` failed, if any (waits a bounded time).

        Prepare names the retry a moment before SageMaker creates it: the name counts only once the
        job exists, as for the first job (see wait_for_job)."""
        if self.platform.job(job_name).status != TrainingJobStatus.FAILED.value:
            return None
        for _ in range(_WORKFLOW_LAG_POLLS):
            finished = self.platform.execution(self.execution_arn).finished
            newest = self.platform.job_of(self.execution_arn)
            if newest and newest.name != job_name and self.platform.has_job(newest):
                return newest.name
            if finished:
                return None
            self.platform.sleep(self.platform.poll_seconds)
        return None

    def status(self) -> TrainingState:
        return self.platform.status(self.execution_arn)

    def wait(self, *, logs: bool = True, out: Callable[[str], None] = print) -> TrainingState:
        """Show status changes (and log lines) until the job ends; returns the final state."""
        for event in self.events(logs=logs):
            out(str(event))
        return self.final_state()

    def final_state(self) -> TrainingState:
        """The state once the job has ended, after the execution has recorded it (its output has
        the console links); bounded, so a workflow that lags never hangs the caller."""
        state = self.status()
        for _ in range(_WORKFLOW_LAG_POLLS):
            if state.execution is None or state.execution.finished:
                break
            self.platform.sleep(self.platform.poll_seconds)
            state = self.status()
        return state

    def stop(self) -> TrainingState:
        return self.platform.stop(self.execution_arn)
