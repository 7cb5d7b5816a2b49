"""The emulator's server process: moto's WSGI app, patched by the adapters, on localhost:PORT, each
call it serves recorded in the call log (<work dir>/calls.jsonl, GET /emulator-api/calls)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

from emulator import endpoint_url


def serve(port: int, work_dir: Path) -> None:
    # moto's Step Functions interpreter calls the other services at localhost:$MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from emulator import adapters, call_log
    from emulator.call_recording import RecordingMiddleware
    from emulator.call_recording_kms import implied_kms_calls

    log = call_log.start_log(work_dir)
    adapters.install(endpoint_url(port), work_dir)
    server = make_server(
        "127.0.0.1",
        port,
        RecordingMiddleware(DomainDispatcherApplication(create_backend_app), log, implied_kms_calls),
        threaded=True,
        request_handler=MotoRequestHandler,
    )

    def shut_down(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, shut_down)
    print(f"emulator: serving on {endpoint_url(port)} (pid {os.getpid()})", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        print("emulator: stopped", flush=True)
        sys.stdout.flush()
