"""SageMaker hyperparameter tuning jobs that run (emulator/tuning_jobs.py): Create (checked against
botocore's model), Describe, List, ListTrainingJobsForHyperParameterTuningJob and Stop, tags on the
tuning job's ARN through moto's AddTags/ListTags, and SageMaker's state change events."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.validate import ParamValidator

from emulator import call_log, training_jobs, tuning_job_list, tuning_jobs
from emulator.adapters.sagemaker import TrainingJobRegistries, training_job_registries

TUNING_JOB_STATE_CHANGE = "SageMaker HyperParameter Tuning Job State Change"


def run_hyperparameter_tuning_jobs(endpoint: str) -> None:
    """Tuning jobs launch emulated training jobs and report on them as SageMaker does.

    moto stores a tuning job and answers Describe with what was sent: no training job ever runs, the
    status stays as created, and it has no StopHyperParameterTuningJob or
    ListTrainingJobsForHyperParameterTuningJob.
    """
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.exceptions import SagemakerClientError
    from moto.sagemaker.responses import SageMakerResponse

    create_shape = (
        (boto3.session.Session()._session.get_service_model("sagemaker"))
        .operation_model("CreateHyperParameterTuningJob")
        .input_shape
    )
    registries = _TuningJobRegistries(training_job_registries(endpoint))

    def answer(action: Callable[[], Any]) -> Any:
        try:
            return action()
        except training_jobs.TrainingJobError as error:
            raise SagemakerClientError(error.code, error.message) from None
        except tuning_job_list.InvalidListRequest as error:
            raise SagemakerClientError("ValidationException", str(error)) from None

    def create(self: SageMakerResponse) -> ActionResult:
        request = json.loads(self.body)
        report = ParamValidator().validate(request, create_shape)
        if report.has_errors():
            raise SagemakerClientError("ValidationException", report.generate_report())
        job = answer(lambda: registries.of(self).create(request))
        return ActionResult({"HyperParameterTuningJobArn": job.arn})

    def describe(self: SageMakerResponse) -> ActionResult:
        name = json.loads(self.body)["HyperParameterTuningJobName"]
        return ActionResult(answer(lambda: registries.of(self).get(name).describe()))

    def list_jobs(self: SageMakerResponse) -> ActionResult:
        request = json.loads(self.body or "{}")
        summaries = [job.summary() for job in list(registries.of(self).jobs.values())]
        return ActionResult(answer(lambda: tuning_job_list.list_tuning_jobs(summaries, request)))

    def list_training_jobs(self: SageMakerResponse) -> ActionResult:
        request = json.loads(self.body)
        job = answer(lambda: registries.of(self).get(request["HyperParameterTuningJobName"]))
        summaries = job.training_job_summaries()
        return ActionResult(answer(lambda: tuning_job_list.list_training_jobs(summaries, request)))

    def stop(self: SageMakerResponse) -> EmptyResult:
        name = json.loads(self.body)["HyperParameterTuningJobName"]
        answer(lambda: registries.of(self).stop(name))
        return EmptyResult()

    SageMakerResponse.create_hyper_parameter_tuning_job = create
    SageMakerResponse.describe_hyper_parameter_tuning_job = describe
    SageMakerResponse.list_hyper_parameter_tuning_jobs = list_jobs
    SageMakerResponse.list_training_jobs_for_hyper_parameter_tuning_job = list_training_jobs
    SageMakerResponse.stop_hyper_parameter_tuning_job = stop


class _TuningJobRegistries:
    """One tuning_jobs.TuningJobRegistry per account and region, launching its training jobs into the
    training job registry of the same account and region."""

    def __init__(self, training: TrainingJobRegistries) -> None:
        self._training = training
        self._registries: dict[tuple[str, str], tuning_jobs.TuningJobRegistry] = {}
        self._lock = threading.Lock()
        training.metric_observers.append(self._observe_metrics)

    def of(self, response: Any) -> tuning_jobs.TuningJobRegistry:
        key = (response.current_account, response.region)
        with self._lock:
            if key not in self._registries:
                prefix = f"arn:aws:sagemaker:{response.region}:{response.current_account}:hyper-parameter-tuning-job/"
                events = self._training.clients.get("events", response.region, call_log.UNRECORDED_ACCESS_KEY)
                registry = tuning_jobs.TuningJobRegistry(
                    prefix, self._training.of(response), lambda described: _put_state_change(events, described)
                )
                registry.jobs = response.sagemaker_backend.hyper_parameter_tuning_jobs  # moto's tags see them
                self._registries[key] = registry
            return self._registries[key]

    def _observe_metrics(self, job_name: str, points: list[training_jobs.MetricPoint]) -> None:
        for registry in list(self._registries.values()):
            registry.observe_metrics(job_name, points)


def _put_state_change(events: Any, described: dict[str, Any]) -> None:
    """SageMaker's event on the default bus, as a service: recorded for nobody."""
    detail = json.dumps(described, default=lambda t: int(t.timestamp() * 1000))
    events.put_events(
        Entries=[
            {
                "Source": "aws.sagemaker",
                "DetailType": TUNING_JOB_STATE_CHANGE,
                "Resources": [described["HyperParameterTuningJobArn"]],
                "Detail": detail,
            }
        ]
    )
