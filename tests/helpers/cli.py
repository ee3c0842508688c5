"""Reading a command's stderr: its one error line among the run's phase and progress lines."""

from __future__ import annotations

PHASE_PREFIXES = ("devface: alice: ", "devface: training: ")


def the_error_line(output: str) -> str:
    """The single `devface: error:` line; every other line must be a phase or progress line of the run."""
    lines = output.strip().splitlines()
    errors = [line for line in lines if line.startswith("devface: error: ")]
    others = [line for line in lines if line not in errors]
    assert len(errors) == 1, output
    assert all(line.startswith(PHASE_PREFIXES) for line in others), output
    return errors[0]
