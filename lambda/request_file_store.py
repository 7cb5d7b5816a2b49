"""Request files in S3: read the exact version that triggered a training, write its result document.

Prepare reads, the result writer writes; the S3 client is made when this module is first imported.
"""

from __future__ import annotations

import logging
from typing import Any

import boto3

from botocore_features import S3_CONDITIONAL_WRITES_VERSION, botocore_version, version_text
from training_events import RequestFile

_S3 = boto3.client("s3")
# An older botocore has no IfNoneMatch parameter: the header is then added to the request by hand.
_IF_NONE_MATCH_PARAMETER = botocore_version() >= S3_CONDITIONAL_WRITES_VERSION
if not _IF_NONE_MATCH_PARAMETER:
    logging.getLogger(__name__).warning(
        "botocore %s predates S3 conditional writes (PutObject IfNoneMatch, botocore %s): "
        "sending the If-None-Match header itself",
        version_text(botocore_version()),
        version_text(S3_CONDITIONAL_WRITES_VERSION),
    )


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
    try:
        if replace:
            _S3.put_object(**arguments)
        else:
            _put_if_absent(arguments)
    except _S3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise
        return False
    return True


def _put_if_absent(arguments: dict[str, Any]) -> None:
    """PutObject that S3 refuses (PreconditionFailed) when the key exists."""
    if _IF_NONE_MATCH_PARAMETER:
        _S3.put_object(**arguments, IfNoneMatch="*")
        return
    _S3.meta.events.register("before-sign.s3.PutObject", _add_if_none_match)
    try:
        _S3.put_object(**arguments)
    finally:
        _S3.meta.events.unregister("before-sign.s3.PutObject", _add_if_none_match)


def _add_if_none_match(request: Any, **_: Any) -> None:
    request.headers["If-None-Match"] = "*"
