"""Request files in S3: read the exact version that triggered a training, write its result document.

Prepare reads, the result writer writes; the S3 client is made when this module is first imported.
"""

from __future__ import annotations

import boto3

from training_events import RequestFile

_S3 = boto3.client("s3")


def read_request(request_file: RequestFile) -> bytes:
    """The request's content; by version when the bucket keeps versions, so a later upload cannot swap it."""
    arguments = {"Bucket": request_file.bucket, "Key": request_file.key}
    if request_file.version_id is not None:
        arguments["VersionId"] = request_file.version_id
    return _S3.get_object(**arguments)["Body"].read()


def write_result(request_file: RequestFile, key: str, body: bytes, *, replace: bool) -> bool:
    """Put the result document of `request_file` at `key` in its bucket: a new version of the result object.
    With `replace` false it is written only while there is none; returns whether it was written."""
    arguments = {
        "Bucket": request_file.bucket,
        "Key": key,
        "Body": body,
        "ContentType": "application/json",
    }
    if not replace:
        arguments["IfNoneMatch"] = "*"
    try:
        _S3.put_object(**arguments)
    except _S3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
        return False
    return True
