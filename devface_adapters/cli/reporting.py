"""What the command line shows: one-line errors with exit codes, logging, the progress bar, reports."""

from __future__ import annotations

import functools
import json
import logging
import sys

import click

from devface_adapters.secrets import mask_secrets
from devface_core import Config, DevfaceError, RunReport

logger = logging.getLogger("devface")
_CONTROL = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]}


def safe_text(text: str) -> str:
    """Text fit for a terminal: passwords masked, control characters (newline, ESC…) shown as \\xNN, so an
    untrusted name can neither forge a line nor send escape codes."""
    return mask_secrets(str(text)).translate(_CONTROL)


def echo(text: str, err: bool = False) -> None:
    """Print one line made safe (see safe_text)."""
    click.echo(safe_text(text), err=err)


def reports_errors(command):
    """Turn DevfaceError (and any crash) into one stderr line and the class's exit code."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DevfaceError as exc:
            _fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as exc:  # the CLI promises one line, never a traceback
            logger.debug("unexpected error", exc_info=True)
            _fail(f"internal error: {type(exc).__name__}: {exc} (run with -v for details)", 1)

    return wrapper


def _fail(message: str, code: int):
    echo(f"devface: error: {message}", err=True)
    sys.exit(code)


class _SafeFormatter(logging.Formatter):
    """Log lines made safe like every other line (a traceback at -vv keeps its own lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return safe_text(super().formatMessage(record))


class _CurrentStderr(logging.StreamHandler):
    """A handler that writes to whatever sys.stderr is at the time of each record."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler = _CurrentStderr()
    handler.setLevel(level)  # libraries that set their own logger levels (werkzeug, botocore) stay quiet
    handler.setFormatter(_SafeFormatter("devface: %(levelname)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # TensorFlow's INFO is checkpoint chatter and its WARNINGs are tf.function retracing notes; they reached
    # stderr and, under click's CliRunner, the --json output of a later command in the same process.
    logging.getLogger("tensorflow").setLevel(logging.DEBUG if verbose > 1 else logging.ERROR)


class ProgressBar:
    """A click progress bar over steps (or epochs without a step limit) with losses and ETA on a terminal."""

    def __init__(self, config: Config, enabled: bool):
        self._by_steps = bool(config.max_steps)
        length = config.max_steps or config.epochs
        self._bar = click.progressbar(length=length, label="training", file=sys.stderr,
                                      show_eta=True, item_show_func=self._describe) if enabled else None
        self._latest = None

    def __enter__(self):
        if self._bar is None:
            return None
        self._bar.__enter__()
        return self._advance

    def __exit__(self, *exc_info):
        if self._bar is not None:
            self._bar.__exit__(*exc_info)

    def _advance(self, tick) -> None:
        done_before = self._latest.step if self._latest is not None else 0
        self._latest = tick
        self._bar.update(tick.step - done_before if self._by_steps else 1, tick)

    @staticmethod
    def _describe(tick) -> str | None:
        if tick is None:
            return None
        losses = " ".join(f"{name}={value:.3f}" for name, value in tick.losses.items())
        return f"step {tick.step} epoch {tick.epoch} {losses}"


def print_report(report: RunReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    for skipped in report.skipped:
        echo(f"skipped {skipped.key}: {skipped.reason}", err=True)
    echo(
        f"published {report.user_id}'s face (epoch {report.snapshot_epoch}, {report.steps} steps, "
        f"{report.images_used} images, {len(report.skipped)} skipped) to {report.published_uri}"
    )
