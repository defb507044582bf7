"""Ingest jobs the web application has started: one process each, watched until they end.

The job's progress lives in the case store (any worker can read it); what only the starting
worker knows is whether the process is still starting (hashing the exhibit before its run row
exists) and, if it stopped before recording a run, the error it printed. Those are kept on the
application's state, not in a module global.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from threadline.errors import Conflict
from threadline.settings import Settings


@dataclass
class Job:
    """One started ingest process."""

    process: subprocess.Popen[bytes]
    log: Path
    started_at: str | None = None

    def running(self) -> bool:
        """Whether the process has not yet ended."""
        return self.process.poll() is None

    def failure(self) -> str | None:
        """The last line the process printed, if it ended with an error."""
        code = self.process.poll()
        if code in (None, 0):
            return None
        try:
            lines = self.log.read_text("utf-8", errors="replace").strip().splitlines()
        except OSError:
            lines = []
        return lines[-1] if lines else f"the ingest stopped (exit status {code})"


def _environment(settings: Settings, username: str) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        key = f"THREADLINE_{name.upper()}"
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value).lower() if isinstance(value, bool) else str(value)
    env["THREADLINE_USER"] = username
    env["THREADLINE_DATABASE_URL"] = settings.resolved_database_url()
    return env


@dataclass
class IngestJobs:
    """The ingest processes this application has started, by exhibit id."""

    settings: Settings
    jobs: dict[str, Job] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(
        self, case_reference: str, exhibit_id: str, exhibit_reference: str, user: str
    ) -> None:
        """Start ingesting an exhibit as ``user``.

        Raises:
            Conflict: this application is already ingesting it.
        """
        with self.lock:
            current = self.jobs.get(exhibit_id)
            if current is not None and current.running():
                raise Conflict(f"exhibit {exhibit_reference} is already being ingested")
            logs = self.settings.home / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            log = logs / f"ingest-{exhibit_id}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "threadline.web.ingest_job",
                        "--case",
                        case_reference,
                        "--exhibit",
                        exhibit_reference,
                    ],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=_environment(self.settings, user),
                )
            self.jobs[exhibit_id] = Job(process, log, datetime.now(UTC).isoformat())

    def get(self, exhibit_id: str) -> Job | None:
        """The job started for an exhibit, if any."""
        with self.lock:
            return self.jobs.get(exhibit_id)

    def stop_all(self) -> None:
        """Wait for running jobs at shutdown (their runs would otherwise be left running)."""
        with self.lock:
            for job in self.jobs.values():
                if job.running():
                    job.process.terminate()
                    job.process.wait(timeout=30)
