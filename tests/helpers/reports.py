"""What the command prints for a run's report, for tests that check its words."""

from __future__ import annotations

import contextlib
import io


def run_report_line(report) -> str:
    """The human report line `devface-run` prints for `report` (stdout and stderr together)."""
    from devface_adapters.cli.reporting import print_report

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        print_report(report, as_json=False)
    return captured.getvalue()
