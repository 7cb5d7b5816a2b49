"""The result document of a request file, so a user who only uses S3 sees what became of each upload.

It is written at the request's path under the result prefix (platform_contract.result_key); `request_version_id`
names the version of the request file it answers, as a re-upload's result is a new version of the same object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from platform_contract import BestTrainingJobField, RequestStatus, TuningOutputField

from .events import RequestFile


def result_document(
    request_file: RequestFile,
    *,
    status: RequestStatus,
    job_name: str | None = None,
    tuning_job_name: str | None = None,
    best_training_job: Mapping[str, object] | None = None,
    model_artifacts: str | None = None,
    failure_reason: str | None = None,
    errors: Sequence[str] = (),
    links: Mapping[str, str] | None = None,
    execution_arn: str | None = None,
) -> dict[str, object]:
    """The result document of `request_file`; keys without a value are left out.

    A tuning request's result names its tuning job and, once it completed, its best training job (name, objective
    metric and value, model artifacts, tuned hyperparameters: platform_contract.BestTrainingJobField)."""
    document: dict[str, object] = {
        "request": request_file.uri,
        "request_version_id": request_file.version_id,
        "status": status.value,
        "job_name": job_name,
        "tuning_job_name": tuning_job_name,
        TuningOutputField.BEST_TRAINING_JOB.value: _best_training_job(best_training_job),
        "model_artifacts": model_artifacts,
        "failure_reason": failure_reason,
        "errors": list(errors) or None,
        "links": dict(links) if links else None,
        "execution_arn": execution_arn,
    }
    return {key: value for key, value in document.items() if value is not None}


def _best_training_job(best: Mapping[str, object] | None) -> dict[str, object] | None:
    """The best training job's fields the platform knows, in their order; None when it names no job."""
    if not best or not isinstance(best.get(BestTrainingJobField.NAME.value), str):
        return None
    fields = (field.value for field in BestTrainingJobField)
    return {field: best[field] for field in fields if best.get(field) is not None}


def result_body(document: Mapping[str, object]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
