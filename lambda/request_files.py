"""S3 side of request files: read the exact version that triggered, write the result document beside it.

`handler` is the workflow's result writer. Event: {"request_file": {"bucket", "key", "version_id", "etag"},
"status": one of training_events.RequestStatus, and any of "job_name", "model_artifacts", "failure_reason",
"errors" (list of text), "links", "execution_arn"}. Returns {"result": "s3://<bucket>/<result key>", "written": bool}:
a Duplicate never replaces a result already there.
"""

from __future__ import annotations

from collections.abc import Mapping

import boto3

from training_events import RequestFile, RequestStatus, result_body, result_document

_S3 = boto3.client("s3")


def read_request(request_file: RequestFile) -> bytes:
    """The request's content; by version when the bucket keeps versions, so a later upload cannot swap it."""
    arguments = {"Bucket": request_file.bucket, "Key": request_file.key}
    if request_file.version_id is not None:
        arguments["VersionId"] = request_file.version_id
    return _S3.get_object(**arguments)["Body"].read()


def handler(event: Mapping[str, object], context: object) -> dict[str, str]:
    location = event["request_file"]
    if not isinstance(location, Mapping):
        raise ValueError("request_file must be an object with bucket and key")
    request_file = RequestFile.from_mapping(location)
    errors = event.get("errors")
    links = event.get("links")
    document = result_document(
        request_file,
        status=RequestStatus(event["status"]),
        job_name=_text(event.get("job_name")),
        model_artifacts=_text(event.get("model_artifacts")),
        failure_reason=_text(event.get("failure_reason")),
        errors=[str(error) for error in errors] if isinstance(errors, list) else (),
        links={str(k): str(v) for k, v in links.items()} if isinstance(links, Mapping) else None,
        execution_arn=_text(event.get("execution_arn")),
    )
    arguments = {
        "Bucket": request_file.bucket,
        "Key": request_file.result_key,
        "Body": result_body(document),
        "ContentType": "application/json",
    }
    location = f"s3://{request_file.bucket}/{request_file.result_key}"
    if document["status"] == RequestStatus.DUPLICATE.value:
        # A redelivered event must not replace the outcome the first delivery's execution wrote: the
        # duplicate's note is written only while there is none (the first job is still running).
        arguments["IfNoneMatch"] = "*"
    try:
        _S3.put_object(**arguments)
    except _S3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
        return {"result": location, "written": False}
    return {"result": location, "written": True}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
