"""SIGKILL at random points: sinks hold the previous complete face or the new one, never a partial one,
and --resume continues from the last checkpoint, losing at most one checkpoint interval."""

from __future__ import annotations

import base64
import random
import re
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from devface_adapters.postgres import PostgresAdapter
from tests.helpers import pg
from tests.helpers.images import face_like
from tests.helpers.js import js_face_png
from tests.helpers.scripts import script

# Each trial is a process starting TensorFlow (7–10 s on 2 cores): 14 trials took 152 s of a CI run. Six
# still kill each sink twice.
TRIALS = 6
CHECKPOINT_EVERY = 8  # steps
# Short enough that the later trials resume a finished run and are killed while publishing it. A step of the
# default recipe at 16² takes about 0.09 s on 2 cores: 120 steps cost every full run 5 s more.
STEPS = 64
# The first trials are killed within 50 ms of reporting a step chosen at random in their own band of
# training (never within two checkpoints of the end), so that a kill lands in training on any host, fast or
# loaded; the rest within 1 s of training's last step (its checkpoint, samples and publish), or of resuming a
# run whose training was complete.
TRAINING_KILLS = 4
KILL_BAND = (STEPS - 2 * CHECKPOINT_EVERY) // TRAINING_KILLS
TRAINING = ["--max-steps", str(STEPS), "--image-size", "16", "--batch-size", "4", "--z-dim", "8", "--sample-every", "100",
            "--checkpoint-every", str(CHECKPOINT_EVERY), "--resume", "-vv"]
STEP_LINE = re.compile(r"step (\d+)/\d+ trained")
RESUME_LINE = re.compile(r"resuming from the checkpoint of step (\d+)")


class Child:
    """One devface-run process whose stderr is read as it runs; `started` is set once it reports step
    `kill_at` (or a later one), or, when training was already complete, once it resumes, so that a kill
    can land in the publish."""

    def __init__(self, command: list[str], kill_at: int = 1):
        self.lines: list[str] = []
        self.kill_at = kill_at
        self.started = threading.Event()
        self.finished_training = False  # resumed a run whose training was complete: only publishing is left
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            step, resumed = STEP_LINE.search(line), RESUME_LINE.search(line)
            if step and int(step[1]) >= self.kill_at or resumed and int(resumed[1]) == STEPS:
                self.finished_training = bool(resumed)
                self.started.set()
        self.started.set()  # the process ended (finished or killed) before its step: stop waiting

    def finish(self) -> int:
        code = self.process.wait(timeout=600)
        self._reader.join(timeout=60)
        return code

    def last(self, pattern: re.Pattern) -> int | None:
        found = [int(match[1]) for line in self.lines if (match := pattern.search(line))]
        return found[-1] if found else None


def latest_checkpoint_step(folder: Path) -> int:
    state = folder / "checkpoint"
    if not state.exists():
        return 0
    return int(re.search(r'model_checkpoint_path: "ckpt-(\d+)"', state.read_text())[1])


@pytest.fixture
def likes(tmp_path):
    root = tmp_path / "likes"
    (root / "crash").mkdir(parents=True)
    for index in range(8):
        (root / "crash" / f"{index}.png").write_bytes(face_like(index, 16))
    return root


@pytest.fixture
def sinks(tmp_path, pg_dsn, pg_schema):
    """(spec, read the published PNG or None) for a dir, a jsfile and a postgres sink."""
    pg.create_deployed_tables(pg_dsn, pg_schema)
    postgres = PostgresAdapter(dsn=pg_dsn, schema=pg_schema)
    out, js = tmp_path / "out", tmp_path / "site" / "face.js"

    def read_dir():
        png = out / "crash.png"
        return png.read_bytes() if png.exists() else None

    def read_js():
        return js_face_png(js) if js.exists() else None

    def read_postgres():
        text = postgres.published_text("crash")
        return None if text is None else base64.b64decode(text)

    return [(["--sink", f"dir:{out}"], read_dir), (["--sink", f"jsfile:{js}"], read_js),
            (["--sink", "postgres", "--sink-opt", f"dsn={pg_dsn}", "--sink-opt", f"schema={pg_schema}"], read_postgres)]


def run_command(likes: Path, checkpoints: Path, sink: list[str]) -> list[str]:
    return [script("devface-run"), "--source", f"dir:{likes}", "--user", "crash", *sink,
            "--checkpoint-dir", str(checkpoints), *TRAINING]


def killed_trial(command: list[str], trial: int, rng: random.Random) -> Child:
    """Run `command` and SIGKILL it at a random moment: of its band of training for the first trials, else
    within 1 s of training's last step (its checkpoint, samples and publish) or of resuming a finished run."""
    band = trial * KILL_BAND
    kill_at = rng.randint(band + 1, band + KILL_BAND) if trial < TRAINING_KILLS else STEPS
    child = Child(command, kill_at)
    assert child.started.wait(timeout=120)
    try:
        child.process.wait(timeout=rng.uniform(0.0, 1.0 if kill_at == STEPS else 0.05))
    except subprocess.TimeoutExpired:
        child.process.send_signal(signal.SIGKILL)
    return child


@pytest.mark.long
@pytest.mark.timeout(900)  # 25 processes, each starting TensorFlow: minutes on a slow 2-core machine
def test_sigkill_at_random_points_loses_nothing(tmp_path, likes, sinks):
    reference = tmp_path / "reference"
    assert Child(run_command(likes, tmp_path / "ck-reference", ["--sink", f"dir:{reference}"])).finish() == 0
    expected_png = (reference / "crash.png").read_bytes()
    checkpoints = tmp_path / "ck"
    user_checkpoints = checkpoints / "crash"
    rng = random.Random(20261124)
    saved_before, killed_while_training, killed_after_training = 0, 0, 0
    for trial in range(TRIALS):
        sink, read_published = sinks[trial % len(sinks)]
        child = killed_trial(run_command(likes, checkpoints, sink), trial, rng)
        code = child.finish()
        saved = latest_checkpoint_step(user_checkpoints)
        trained = child.last(STEP_LINE)
        resumed = child.last(RESUME_LINE)
        published = read_published()

        assert published in (None, expected_png), f"trial {trial}: a partial or different face was published"
        assert saved >= saved_before, f"trial {trial}: the checkpoint went back from {saved_before} to {saved}"
        assert resumed == (saved_before or None), f"trial {trial}: resumed from {resumed}, not {saved_before}"
        if trained is not None:
            assert trained - saved <= CHECKPOINT_EVERY, f"trial {trial}: trained to {trained}, saved {saved}"
            killed_while_training += code == -signal.SIGKILL
        elif resumed == STEPS:
            killed_after_training += code == -signal.SIGKILL
        saved_before = saved

    print(f"{TRIALS} trials: {killed_while_training} killed while training, {killed_after_training} killed "
          f"while publishing a finished run; last checkpoint at step {saved_before}")
    for sink, read_published in sinks:
        assert Child(run_command(likes, checkpoints, sink)).finish() == 0
        assert read_published() == expected_png, f"{sink[1]}: the resumed run must publish what an uninterrupted one did"
    assert killed_while_training >= TRAINING_KILLS, "too few kills landed during training to prove anything"
    assert not [p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")
                if p.name not in ("crash.png", "crash.json")]
