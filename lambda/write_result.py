"""The workflow's WriteResult step: the outcome of a request-file training, written under the result prefix.

Event: {"request_file": {"bucket", "key", "version_id", "etag"}, "status": one of platform_contract.RequestStatus,
and any of "job_name", "model_artifacts", "failure_reason", "errors" (list of text), "links", "execution_arn"}.
Environment: WriteResultEnvironment (the request and result prefixes): `requests/team/gan.json`'s outcome is
`results/team/gan.json`, see platform_contract.result_key.
Returns {"result": "s3://<bucket>/<result key>", "written": bool}: a Duplicate never replaces a result already there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from platform_contract import WriteResultEnvironment, result_key
from request_file_store import write_result
from training_events import RequestFile, RequestStatus, result_body, result_document


def handler(event: Mapping[str, object], context: object) -> dict[str, object]:
    location = event["request_file"]
    if not isinstance(location, Mapping):
        raise ValueError("request_file must be an object with bucket and key")
    request_file = RequestFile.from_mapping(location)
    status = RequestStatus(event["status"])
    errors = event.get("errors")
    links = event.get("links")
    document = result_document(
        request_file,
        status=status,
        job_name=_text(event.get("job_name")),
        model_artifacts=_text(event.get("model_artifacts")),
        failure_reason=_text(event.get("failure_reason")),
        errors=[str(error) for error in errors] if isinstance(errors, list) else (),
        links={str(k): str(v) for k, v in links.items()} if isinstance(links, Mapping) else None,
        execution_arn=_text(event.get("execution_arn")),
    )
    key = result_key(
        request_file.key,
        request_prefix=os.environ[WriteResultEnvironment.REQUEST_PREFIX.value],
        result_prefix=os.environ[WriteResultEnvironment.RESULT_PREFIX.value],
    )
    # A redelivered event must not replace the outcome the first delivery's execution wrote: the duplicate's
    # note is written only while there is none (the first job is still running).
    written = write_result(request_file, key, result_body(document), replace=status is not RequestStatus.DUPLICATE)
    return {"result": f"s3://{request_file.bucket}/{key}", "written": written}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
