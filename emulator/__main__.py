"""`python -m emulator start|stop|status [--port N]`; `serve` runs the server in the foreground."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from emulator import DEFAULT_PORT, endpoint_url, process, server, shell_exports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "serve"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", DEFAULT_PORT)))
    parser.add_argument("--work-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    files = process.EmulatorFiles(args.port)

    if args.command == "serve":
        server.serve(args.port, args.work_dir or files.work_dir)
        return 0
    if args.command == "start":
        try:
            started = process.start(args.port)
        except process.EmulatorError as error:
            print(f"emulator: {error}", file=sys.stderr)
            return 1
        print(f"emulator: running on {endpoint_url(args.port)} (pid {started}, log {files.log_file})")
        print(f"  {shell_exports(args.port)}")
        return 0
    if args.command == "stop":
        stopped = process.stop(args.port)
        print("emulator: stopped" if stopped else f"emulator: not running on port {args.port}")
        return 0
    pid = process.running_pid(files)
    serving = process.is_serving(args.port)
    print(
        f"emulator: {'running' if serving else 'not running'} on {endpoint_url(args.port)}"
        + (f" (pid {pid})" if pid else "")
    )
    return 0 if serving else 3


if __name__ == "__main__":
    sys.exit(main())
