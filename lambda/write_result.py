"""The workflow's WriteResult step: the outcome of a request-file training, written under the result prefix.

Event: {"request_file": {"bucket", "key", "version_id", "etag"}, "status": one of platform_contract.RequestStatus,
and any of "job_name", "tuning_job_name", "best_training_job" (an object), "model_artifacts", "failure_reason",
"errors" (list of text), "links", "execution_arn"}.
When Prepare failed before naming the request file, "event" (the execution's S3 event) names it instead.
Environment: WriteResultEnvironment (the request and result prefixes): `requests/team/gan.json`'s outcome is
`results/team/gan.json`, see platform_contract.result_key.
Returns {"result": "s3://<bucket>/<result key>", "written": bool}: a Duplicate never replaces a result already there,
and nothing is written for a key under the result prefix (a result never gets a result).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from platform_contract import WriteResultEnvironment, result_key
from request_file_store import write_result
from training_events import RequestFile, RequestStatus, request_file_named_by, result_body, result_document


def handler(event: Mapping[str, object], context: object) -> dict[str, object]:
    request_file = _request_file(event)
    request_prefix = os.environ[WriteResultEnvironment.REQUEST_PREFIX.value]
    result_prefix = os.environ[WriteResultEnvironment.RESULT_PREFIX.value]
    key = result_key(request_file.key, request_prefix=request_prefix, result_prefix=result_prefix)
    if request_file.key.startswith(result_prefix):
        return {"result": f"s3://{request_file.bucket}/{key}", "written": False}
    status = RequestStatus(event["status"])
    errors = event.get("errors")
    links = event.get("links")
    best = event.get("best_training_job")
    document = result_document(
        request_file,
        status=status,
        job_name=_text(event.get("job_name")),
        tuning_job_name=_text(event.get("tuning_job_name")),
        best_training_job=best if isinstance(best, Mapping) else None,
        model_artifacts=_text(event.get("model_artifacts")),
        failure_reason=_text(event.get("failure_reason")),
        errors=[str(error) for error in errors] if isinstance(errors, list) else (),
        links={str(k): str(v) for k, v in links.items()} if isinstance(links, Mapping) else None,
        execution_arn=_text(event.get("execution_arn")),
    )
    # A redelivered event must not replace the outcome the first delivery's execution wrote: the duplicate's
    # note is written only while there is none (the first job is still running).
    written = write_result(request_file, key, result_body(document), replace=status is not RequestStatus.DUPLICATE)
    return {"result": f"s3://{request_file.bucket}/{key}", "written": written}


def _request_file(event: Mapping[str, object]) -> RequestFile:
    location = event.get("request_file")
    if isinstance(location, Mapping):
        return RequestFile.from_mapping(location)
    named = request_file_named_by(event.get("event"))
    if named is None:
        raise ValueError("request_file must be an object with bucket and key, or event an S3 Object Created event")
    return named


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
