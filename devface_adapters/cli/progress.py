"""Training progress for people: a bar on a terminal, a plain line every few seconds anywhere else.

click's own progress bar is enough (a dependency already, and it knows when stderr is no terminal), so
neither tqdm nor rich is added. Lines go through the run's phase logger, so `--quiet` silences both.
"""

from __future__ import annotations

import logging
import sys
import time

import click

from devface_core.pipeline import PHASE_LOGGER
from devface_core.types import Progress

LINE_SECONDS = 5.0  # a progress line at most this often when stderr is not a terminal
phases = logging.getLogger(PHASE_LOGGER)


def losses_text(tick: Progress) -> str:
    """`d 0.61 g 1.20`: the GAN's two losses, short, so a bar fits 80 columns (an encoder's by their names)."""
    names = [name for name in ("d_loss", "g_loss") if name in tick.losses] or sorted(tick.losses)
    return " ".join(f"{name[0] if name.endswith('_loss') else name} {tick.losses[name]:.2f}" for name in names)


def remaining(tick: Progress) -> str:
    """`, about 2 min left`, from the pace so far (empty until there is one)."""
    total = tick.total_steps
    if not total or tick.step <= 0 or tick.step >= total:
        return ""
    seconds = tick.elapsed_s / tick.step * (total - tick.step)
    return f", about {seconds / 60:.0f} min left" if seconds >= 90 else f", about {seconds:.0f} s left"


def progress_line(tick: Progress) -> str:
    """`training: step 250/1500 (17%) · d 0.61 g 1.20, 40 s, about 2 min left`."""
    total = tick.total_steps
    done = f"step {tick.step}/{total} ({tick.step / total:.0%})" if total else f"step {tick.step}"
    return f"training: {done} · {losses_text(tick)}, {tick.elapsed_s:.0f} s{remaining(tick)}"


class ProgressLines:
    """A progress line at the first tick, then at most every `every` seconds, and at the last step."""

    def __init__(self, every: float = LINE_SECONDS):
        self._every, self._shown_at = every, None

    def __call__(self, tick: Progress) -> None:
        now = time.monotonic()
        finished = tick.total_steps is not None and tick.step >= tick.total_steps
        if self._shown_at is None or now - self._shown_at >= self._every or finished:
            self._shown_at = now
            phases.info("%s", progress_line(tick))


class ProgressBar:
    """A click progress bar over the run's steps, with the losses and ETA; made at the first tick, when
    the number of steps is known."""

    def __init__(self):
        self._bar, self._done = None, 0

    def __call__(self, tick: Progress) -> None:
        if self._bar is not None and tick.step < self._done:  # a new phase (the encoder after the GAN)
            self.close()
            self._bar, self._done = None, 0
        if self._bar is None:
            self._bar = click.progressbar(length=tick.total_steps or tick.step, label="training", file=sys.stderr,
                                          width=20, show_eta=True, item_show_func=lambda t: t and losses_text(t))
            self._bar.__enter__()
        self._bar.update(tick.step - self._done, tick)
        self._done = tick.step

    def close(self) -> None:
        """End the bar's line (if it was ever drawn)."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


class ProgressDisplay:
    """The display a command hands the run: a bar on a terminal, lines otherwise, none when quiet."""

    def __init__(self, quiet: bool, as_json: bool = False):
        self._display = None
        if not quiet and not as_json and sys.stderr.isatty():
            self._display = ProgressBar()
        elif not quiet:
            self._display = ProgressLines()

    def __enter__(self):
        return self._display

    def __exit__(self, *exc_info):
        if isinstance(self._display, ProgressBar):
            self._display.close()
