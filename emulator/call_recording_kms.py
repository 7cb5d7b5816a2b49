"""The KMS calls S3 and SNS make with their caller's permissions (via = the service): S3 decrypts an
object encrypted with a KMS key when it is read and asks for a data key when one is written (the
encryption context `aws:s3:arn` names the object, or the bucket when an S3 Bucket Key is enabled);
SNS does both for a message published to a topic with a KMS key (context `aws:sns:topicArn`).

The key and the encryption are looked up in moto's stores once the request is served: an object's
key after a PutObject is the one S3 applied (the request's, else the bucket's default).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.call_log import Authorization, ContextValue, Principal
from emulator.call_recording_table import ServedRequest, key_arn, s3_bucket, s3_object

_READS = {"GetObject": "kms:Decrypt"}
_WRITES = {"PutObject": "kms:GenerateDataKey", "CreateMultipartUpload": "kms:GenerateDataKey"}


def implied_kms_calls(principal: Principal, request: ServedRequest) -> list[Authorization]:
    """The KMS calls a served request made S3 or SNS make for its caller."""
    if request.service == "s3" and request.operation in {**_READS, **_WRITES}:
        return s3_kms_calls(
            request, request.params["Bucket"], request.params["Key"], {**_READS, **_WRITES}[request.operation]
        )
    if request.service == "s3" and request.operation == "CopyObject":
        bucket, _, key = str(request.params["CopySource"]).lstrip("/").split("?versionId=")[0].partition("/")
        return [
            *s3_kms_calls(request, bucket, key, "kms:Decrypt"),
            *s3_kms_calls(request, request.params["Bucket"], request.params["Key"], "kms:GenerateDataKey"),
        ]
    if request.service == "sns" and request.operation == "Publish":
        return sns_kms_calls(request.region, request.account, str(request.params.get("TopicArn") or ""))
    return []


def s3_kms_calls(request: ServedRequest, bucket: str, key: str, action: str) -> list[Authorization]:
    stored = _stored_object(request.account, bucket, key)
    if stored is None or stored.encryption != "aws:kms" or not stored.kms_key_id:
        return []
    encrypted = s3_bucket(bucket) if _enabled(stored.bucket_key_enabled) else s3_object(bucket, key)
    context: dict[str, ContextValue] = {
        "kms:ViaService": f"s3.{request.region}.amazonaws.com",
        "kms:CallerAccount": request.account,
        "kms:EncryptionContext:aws:s3:arn": encrypted,
        "kms:EncryptionContextKeys": ["aws:s3:arn"],
    }
    resource = resolved_key_arn(request.region, request.account, str(stored.kms_key_id))
    return [Authorization(action, resource, context, via="s3.amazonaws.com")]


def sns_kms_calls(
    region: str,
    account: str,
    topic_arn: str,
    caller_account: str | None = None,
    source: Mapping[str, ContextValue] | None = None,
) -> list[Authorization]:
    """SNS asks KMS for a data key and decrypts it to encrypt a message for an encrypted topic. `source`: the
    aws:SourceAccount/aws:SourceArn a publishing service's request carries to KMS (CloudWatch's does;
    EventBridge's, as AWS documents, does not)."""
    key = _topic_key(region, account, topic_arn)
    if not key:
        return []
    context: dict[str, ContextValue] = {
        **(source or {}),
        "kms:ViaService": f"sns.{region}.amazonaws.com",
        "kms:CallerAccount": caller_account or account,
        "kms:EncryptionContext:aws:sns:topicArn": topic_arn,
        "kms:EncryptionContextKeys": ["aws:sns:topicArn"],
    }
    resource = resolved_key_arn(region, account, key)
    return [
        Authorization("kms:GenerateDataKey", resource, context, via="sns.amazonaws.com"),
        Authorization("kms:Decrypt", resource, context, via="sns.amazonaws.com"),
    ]


def resolved_key_arn(region: str, account: str, key: str) -> str:
    """The key's ARN, for a key given by ID, ARN, alias or alias ARN."""
    from moto.kms.models import kms_backends

    key_region = key.split(":")[3] if key.startswith("arn:") else region
    try:
        return str(kms_backends[account][key_region].describe_key(key).arn)
    except Exception:  # a key moto does not know: as named
        return key_arn(region, account, key)


def _stored_object(account: str, bucket: str, key: str) -> Any:
    from moto.s3.models import s3_backends

    try:
        return s3_backends[account]["aws"].buckets[bucket].keys.get(key)
    except KeyError:
        return None


def _topic_key(region: str, account: str, topic_arn: str) -> str:
    from moto.sns.models import sns_backends

    try:
        return str(sns_backends[account][region].get_topic(topic_arn).kms_master_key_id or "")
    except Exception:  # no such topic
        return ""


def _enabled(flag: Any) -> bool:
    return str(flag).lower() == "true"
