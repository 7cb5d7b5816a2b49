"""What IAM authorizes for a request the emulator serves: its signer, its operation (parsed as moto
parses it, from botocore's service models), and the actions, resources and context keys
(emulator/call_recording_table.py) recorded in the call log (emulator/call_log.py).

`RecordingMiddleware` wraps the server's WSGI app: it reads each request's access key (SigV4
Authorization header, or X-Amz-Credential of a presigned URL), lets moto answer, and records the
call with the answer's outcome. It also answers GET /emulator-api/calls.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from emulator import ACCOUNT_ID, DEFAULT_REGION
from emulator.call_log import PRINCIPALS, UNRECORDED_ACCESS_KEY, Authorization, CallLog, Principal
from emulator.call_recording_table import ServedRequest, authorizations

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_SERVICE_OF_SIGNING_NAME = {"monitoring": "cloudwatch", "states": "stepfunctions"}
CALLS_PATH = "/emulator-api/calls"


@dataclass(frozen=True)
class Signer:
    access_key: str
    region: str
    service: str  # botocore's service name


def signer_of(headers: Mapping[str, str], query_string: str) -> Signer | None:
    """Who signed the request, from its SigV4 credential scope (header or presigned URL), or its S3
    SigV2 signature (header `AWS key:signature`, presigned `AWSAccessKeyId`); None if unsigned."""
    authorization = headers.get("authorization") or ""
    query = parse_qs(query_string)
    match = _CREDENTIAL.search(authorization) or _CREDENTIAL.search(
        "Credential=" + query.get("X-Amz-Credential", [""])[0]
    )
    if match is not None:
        key, region, signing_name = match.groups()
        return Signer(key, region, _SERVICE_OF_SIGNING_NAME.get(signing_name, signing_name))
    s3_v2_key = authorization[4:].split(":")[0] if authorization.startswith("AWS ") else None
    s3_v2_key = s3_v2_key or query.get("AWSAccessKeyId", [""])[0]
    return Signer(s3_v2_key, DEFAULT_REGION, "s3") if s3_v2_key else None


def served_request(
    signer: Signer, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> ServedRequest | None:
    """The operation and parameters of a request, routed and parsed as moto does; None if no
    operation of the signer's service matches."""
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import Request, determine_request_protocol
    from moto.core.routing import get_service_router
    from moto.core.utils import get_service_model

    try:
        request = Request.from_primitives(method, url, dict(headers), body)
        operation, uri_params = get_service_router(signer.service).match(request)
        protocol = determine_request_protocol(get_service_model(signer.service), request.content_type)
        params = PROTOCOL_PARSERS[protocol](operation).parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": uri_params,
            }
        )
    except Exception:  # an unknown service, an unroutable or unparsable request
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    return ServedRequest(signer.service, operation.name, dict(params or {}), signer.region, ACCOUNT_ID, lower)


def authorizations_of(signer: Signer, request: ServedRequest | None, operation_hint: str) -> list[Authorization]:
    if request is None:
        return [Authorization(f"unknown:{signer.service}.{operation_hint}", "*")]
    return authorizations(request)


def error_code(status: int, body: bytes) -> str:
    """The error code of an answer (JSON `__type`, XML `<Code>`), or "ok"."""
    if status < 400:
        return "ok"
    text = body.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
        code = str(document.get("__type") or document.get("code") or document.get("Code") or "")
    except (ValueError, AttributeError):
        found = re.search(r"<Code>([^<]+)</Code>", text)
        code = found.group(1) if found else ""
    return code.rsplit("#", 1)[-1] or f"HTTP{status}"


Implications = Callable[[Principal, ServedRequest], list[Authorization]]


class RecordingMiddleware:
    """Records every signed request the wrapped WSGI app answers; serves the log's records."""

    def __init__(self, app: Any, log: CallLog, implied: Implications | None = None) -> None:
        self._app = app
        self._log = log
        self._implied = implied

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == CALLS_PATH:
            return self._serve_records(environ, start_response)
        headers = _headers(environ)
        signer = signer_of(headers, environ.get("QUERY_STRING", ""))
        if signer is None or signer.access_key == UNRECORDED_ACCESS_KEY:
            return self._app(environ, start_response)
        body = _buffer_body(environ)
        answered: dict[str, int] = {}

        def capture(status: str, response_headers: Any, exc_info: Any = None) -> Any:
            answered["status"] = int(status.split()[0])
            return (
                start_response(status, response_headers, exc_info)
                if exc_info
                else start_response(status, response_headers)
            )

        answer = self._app(environ, capture)
        try:
            chunks = list(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        self._record(signer, environ, headers, body, error_code(answered.get("status", 500), b"".join(chunks)))
        return chunks

    def _record(
        self, signer: Signer, environ: dict[str, Any], headers: dict[str, str], body: bytes, outcome: str
    ) -> None:
        try:
            request = served_request(signer, environ["REQUEST_METHOD"], _url(environ), headers, body)
            principal = PRINCIPALS.of(signer.access_key)
            recorded = authorizations_of(signer, request, headers.get("x-amz-target", environ["PATH_INFO"]))
            if request is not None and self._implied is not None and outcome == "ok":
                recorded += self._implied(principal, request)
            self._log.record(principal, recorded, outcome)
        except Exception as error:  # a record must never break the answer
            print(f"emulator: could not record a call: {error!r}", flush=True)

    def _serve_records(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        since = parse_qs(environ.get("QUERY_STRING", "")).get("since", ["0"])[0]
        body = json.dumps({"calls": self._log.records(int(since) if since.isdigit() else 0)}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = str(environ[name])
    return headers


def _buffer_body(environ: dict[str, Any]) -> bytes:
    """The request's body, read once and put back for the app to read."""
    length = environ.get("CONTENT_LENGTH")
    stream = environ["wsgi.input"]
    if length and str(length).isdigit():
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def _url(environ: Mapping[str, Any]) -> str:
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    path = raw.split("?", 1)[0] if raw.startswith("/") else str(environ.get("PATH_INFO", "/"))
    query = environ.get("QUERY_STRING", "")
    host = environ.get("HTTP_HOST", "localhost")
    return f"http://{host}{path}" + (f"?{query}" if query else "")
