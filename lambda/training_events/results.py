"""The result document of a request file, so a user who only uses S3 sees what became of each upload.

It is written at the request's path under the result prefix (platform_contract.result_key); `request_version_id`
names the version of the request file it answers, as a re-upload's result is a new version of the same object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from platform_contract import RequestStatus

from .events import RequestFile


def result_document(
    request_file: RequestFile,
    *,
    status: RequestStatus,
    job_name: str | None = None,
    model_artifacts: str | None = None,
    failure_reason: str | None = None,
    errors: Sequence[str] = (),
    links: Mapping[str, str] | None = None,
    execution_arn: str | None = None,
) -> dict[str, object]:
    """The result document of `request_file`; keys without a value are left out."""
    document: dict[str, object] = {
        "request": request_file.uri,
        "request_version_id": request_file.version_id,
        "status": status.value,
        "job_name": job_name,
        "model_artifacts": model_artifacts,
        "failure_reason": failure_reason,
        "errors": list(errors) or None,
        "links": dict(links) if links else None,
        "execution_arn": execution_arn,
    }
    return {key: value for key, value in document.items() if value is not None}


def result_body(document: Mapping[str, object]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
