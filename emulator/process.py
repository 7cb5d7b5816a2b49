"""Start, stop and inspect the emulator's background server (pid file and log under .emulator/)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from emulator import REPOSITORY_ROOT, STATE_DIR, endpoint_url

START_TIMEOUT_SECONDS = 30.0


class EmulatorError(RuntimeError):
    """The emulator could not be started or stopped; the message says why."""


@dataclass(frozen=True)
class EmulatorFiles:
    port: int
    state_dir: Path = STATE_DIR

    @property
    def pid_file(self) -> Path:
        return self.state_dir / f"emulator-{self.port}.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / f"emulator-{self.port}.log"

    @property
    def work_dir(self) -> Path:
        return self.state_dir / f"work-{self.port}"


def is_serving(port: int) -> bool:
    # moto's dashboard page is static: unlike /moto-api/data.json, which dumps every resource, it
    # answers at once however much a long session has created.
    try:
        with urllib.request.urlopen(f"{endpoint_url(port)}/moto-api/", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def is_listening(port: int) -> bool:
    """Whether anything accepts connections on the port (a busy emulator may answer HTTP slowly)."""
    try:
        with socket.create_connection(("localhost", port), timeout=2):
            return True
    except OSError:
        return False


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:  # no /proc (macOS): ask ps
        result = subprocess.run(["ps", "-p", str(pid), "-o", "command="], capture_output=True, text=True)
        return result.stdout.split()


def _is_emulator_server(pid: int, port: int) -> bool:
    """Whether `pid` runs `python -m emulator serve --port PORT` (a stale pid file may name anything)."""
    arguments = _command_line(pid)
    return all(a in arguments for a in ("emulator", "serve")) and str(port) in arguments


def running_pid(files: EmulatorFiles) -> int | None:
    """The pid of the emulator server started for this port, if it still runs."""
    try:
        pid = int(files.pid_file.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None
    return pid if _is_emulator_server(pid, files.port) else None


def start(port: int, state_dir: Path = STATE_DIR, environment: dict[str, str] | None = None) -> int:
    """Start the server in the background; return its pid once it answers."""
    files = EmulatorFiles(port, state_dir)
    pid = running_pid(files)
    if pid is not None and is_serving(port):
        return pid
    if is_serving(port):
        raise EmulatorError(f"port {port} is already served by another process; choose --port")
    files.work_dir.mkdir(parents=True, exist_ok=True)
    with open(files.log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--work-dir", str(files.work_dir)],
            cwd=REPOSITORY_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=environment,
            start_new_session=True,
        )
    files.pid_file.write_text(str(process.pid))
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            files.pid_file.unlink(missing_ok=True)
            raise EmulatorError(f"the emulator exited at start (code {process.returncode}); see {files.log_file}")
        if is_serving(port):
            return process.pid
        time.sleep(0.2)
    stop(port, state_dir)
    raise EmulatorError(
        f"the emulator did not answer on port {port} in {START_TIMEOUT_SECONDS:.0f} s; see {files.log_file}"
    )


def stop(port: int, state_dir: Path = STATE_DIR) -> bool:
    """Stop the server started for `port` and every process it started (Lambda invocations);
    False if none was running. A pid file naming another process (left by a crash) is discarded."""
    files = EmulatorFiles(port, state_dir)
    pid = running_pid(files)
    files.pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    # The server leads its own process group (start_new_session): its Lambda subprocesses are in it.
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)  # reap it when it is our child
            if finished == pid:
                return True
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True


def stop_and_remove_work_dir(port: int, state_dir: Path = STATE_DIR) -> bool:
    """Stop the emulator (as `stop`) and delete its work directory (unpacked Lambda code): for a
    run that started the emulator for itself, so nothing piles up under .emulator/."""
    stopped = stop(port, state_dir)
    shutil.rmtree(EmulatorFiles(port, state_dir).work_dir, ignore_errors=True)
    return stopped
