"""What the command line shows: one-line errors with exit codes, logging, the progress bar, reports."""

from __future__ import annotations

import functools
import json
import logging
import sys

import click

from devface_adapters.envfile import apply_env_file
from devface_adapters.secrets import mask_secrets
from devface_core import DevfaceError, RunReport
from devface_core.native_output import show_native_output
from devface_core.pipeline import PHASE_LOGGER

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


class _OneLineErrors:
    """click's own errors (a bad option, a missing one) as one `devface: error:` line, no usage block; and
    the working directory's .env applied first (envfile)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        apply_env_file()
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            # Not standalone: click returns --help's and --version's exit code instead of exiting.
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            hint = " (see --help)" if isinstance(exc, click.UsageError) else ""
            _fail(" ".join(exc.format_message().split()) + hint, exc.exit_code)
        except click.Abort:
            _fail("interrupted", 130)
        sys.exit(code if isinstance(code, int) else 0)


class OneLineCommand(_OneLineErrors, click.Command):
    """A click command whose usage errors are one line (see _OneLineErrors)."""


class OneLineGroup(_OneLineErrors, click.Group):
    """A click group whose usage errors, its commands' included, are one line."""


def _fail(message: str, code: int):
    echo(f"devface: error: {message}", err=True)
    sys.exit(code)


class _SafeFormatter(logging.Formatter):
    """Log lines made safe like every other line (a traceback at -vv keeps its own lines); a run's phase
    and progress lines read `devface: …`, without a level."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        if record.name == PHASE_LOGGER:
            return safe_text(f"devface: {record.message}")
        return safe_text(super().formatMessage(record))


class _CurrentStderr(logging.StreamHandler):
    """A handler that writes to whatever sys.stderr is at the time of each record."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure_logging(verbose: int, quiet: bool = False) -> None:
    """WARNING and up by default, INFO at -v, DEBUG (and TensorFlow's native lines, live) at -vv; the run's
    phase lines unless `quiet`."""
    show_native_output(verbose > 1)
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    handler = _CurrentStderr()
    # Records pass the handler by level, or as phase lines: libraries that set their own logger levels
    # (werkzeug, botocore) stay quiet at the default level.
    handler.addFilter(lambda record: record.levelno >= level or record.name == PHASE_LOGGER)
    handler.setFormatter(_SafeFormatter("devface: %(levelname)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger(PHASE_LOGGER).setLevel(logging.WARNING if quiet else logging.INFO)
    # TensorFlow's INFO is checkpoint chatter and its WARNINGs are tf.function retracing notes; they reached
    # stderr and, under click's CliRunner, the --json output of a later command in the same process.
    logging.getLogger("tensorflow").setLevel(logging.DEBUG if verbose > 1 else logging.ERROR)


def print_report(report: RunReport, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=str))
        return
    # Each skipped image was logged once, as it was read (dataset.py); the report only counts them.
    how = {"latent": "drawn from the likes' codes by the base",
           "both": f"drawn from the likes' codes after {report.steps} steps of fine-tuning"}.get(
        report.personalization, f"the snapshot of step {report.snapshot_step} of {report.steps}")
    detail = f", its finest detail from {report.detail_likes} of them" if report.detail_likes else ""
    echo(f"published {report.user_id}'s face ({how}, {report.images_used} images, {len(report.skipped)} skipped"
         f"{detail}) to {report.published_uri}")
