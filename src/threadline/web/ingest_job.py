"""A web-started ingest, run in its own process so the server stays responsive.

``python -m threadline.web.ingest_job --case REF --exhibit REF`` ingests one exhibit with the
settings in the environment (the web application passes its own, with ``THREADLINE_USER`` set
to the signed-in user, who is the audited identity) and then brings the case's search index up to
date. Its progress is written to the case store as it goes
(:mod:`threadline.services.ingest_progress`), where the page reads it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from types import FrameType

from threadline.errors import ThreadlineError
from threadline.services import search
from threadline.services.ingest import ingest_exhibit
from threadline.services.workspace import open_workspace
from threadline.settings import Settings


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the job; exit status 0 on success, the error's exit code otherwise."""
    parser = argparse.ArgumentParser(prog="threadline.web.ingest_job")
    parser.add_argument("--case", required=True)
    parser.add_argument("--exhibit", required=True)
    args = parser.parse_args(argv)
    # the server stops a job with SIGTERM: end as an exception does, so that the run is
    # recorded as failed, its files removed and any reading processes stopped
    signal.signal(signal.SIGTERM, _terminated)
    ws = open_workspace(Settings())
    try:
        ingest_exhibit(ws, args.case, args.exhibit)
        search.build_search_index(ws, args.case)
    except ThreadlineError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
