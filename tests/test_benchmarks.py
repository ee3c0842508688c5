"""Benchmarks still run (quick mode); their numbers are read by people, never asserted here."""

from __future__ import annotations

import contextlib
import io
import logging
import platform
import runpy
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from tests.conftest import service_unavailable

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))  # where a script run as `python benchmarks/NAME` finds its neighbours

pytestmark = pytest.mark.long  # minutes of training: scheduled first


def run_quick(name: str, *arguments: str) -> list[str]:
    """Run one benchmark script in --quick mode, in this process as `python benchmarks/NAME` would run it; return
    its output lines after checking it succeeded."""
    # In this process rather than a new one: each new one paid TensorFlow's import and the judges' loading
    # (about 10 s), and judged again the real faces another benchmark had judged (benchmarks/judges.py).
    output, warnings = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(warnings)
    logging.getLogger("tensorflow").addHandler(handler)
    try:
        with mock.patch.object(sys, "argv", [str(BENCHMARKS / name), "--quick", *arguments]), \
                contextlib.redirect_stdout(output):
            runpy.run_path(str(BENCHMARKS / name), run_name="__main__")
    except SystemExit as stopped:
        assert stopped.code in (None, 0), f"{name} exited with {stopped.code}"
    finally:
        logging.getLogger("tensorflow").removeHandler(handler)
    assert "retracing" not in warnings.getvalue()  # each trainer traces its own sampling: expected, and hidden
    lines = output.getvalue().splitlines()
    assert lines[0].startswith("machine:")
    return lines


def first_words(lines: list[str], count: int) -> list[str]:
    return [line.split()[0] for line in lines[-count:]]


def test_train_throughput_compares_devface_with_the_original_loop():
    lines = run_quick("train_throughput.py")
    rows = [line.split()[:4] for line in lines if line.startswith("seed ")]
    assert [row[:3] for row in rows] == [["seed", "8", "original"], ["seed", "8", "devface"], ["seed", "8", "devface"]]
    assert [row[3] for row in rows].count("(bf16)") == 1


def test_cpu_kernels_shows_devfaces_default_turning_onednn_on_where_the_cpu_is_x86():
    lines = run_quick("cpu_kernels.py")
    kernels = {line[:31].strip(): line[31:38].strip() for line in lines if line.startswith(("off ", "devface's "))}
    assert list(kernels) == ["off (TF_ENABLE_ONEDNN_OPTS=0)", "devface's default (unset)"]
    assert kernels["off (TF_ENABLE_ONEDNN_OPTS=0)"] == "off"
    if platform.machine().lower() in ("x86_64", "amd64"):  # elsewhere devface leaves TensorFlow's choice
        assert kernels["devface's default (unset)"] == "on"
    assert lines[-1].startswith("the faces drawn both ways: ")


@pytest.mark.usefixtures("pg_dsn")
def test_ingest_compares_both_paths_on_the_same_rows():
    lines = run_quick("ingest.py")
    assert [line.split()[:2] for line in lines[-2:]] == [["200", "original"], ["200", "devface"]]


@pytest.mark.usefixtures("pg_dsn")
def test_memory_runs_the_pipeline_at_two_sizes():
    lines = run_quick("memory.py")
    assert first_words(lines, 2) == ["20", "200"]
    assert lines[-1].rstrip().endswith("×")


def test_engines_times_cold_and_warm_runs_of_the_same_users():
    lines = run_quick("engines.py")
    assert first_words(lines[:-4], 2) == ["cold", "warm"]  # engines, then latent bases
    assert first_words(lines, 2) == ["cold", "warm"]
    assert lines[-6].rstrip().endswith(" 1.00×") and lines[-2].split()[-2] == "1.00×"  # each baseline row


# One recipe per kind of model the benchmark builds (the original architecture; a growing run), and the
# default recipe through its base-and-fine-tune rows: all 14 rows cost 105 s of a 2-core CI run, these 4
# about 40 s. Every recipe's settings are exercised by the engine's own tests (tests/core/test_recipe.py).
QUALITY_ROWS = ["seed (original)", "fast + ADA + EMA + grow 2×"]


def test_quality_compares_the_recipes_for_the_same_budget():
    lines = run_quick("quality.py", "--only", ",".join(QUALITY_ROWS))
    labels = [line.split(" from base")[0].split("  ")[0].strip() for line in lines[-4:]]
    assert labels == [*QUALITY_ROWS, "fast + ADA + EMA + bilinear + R1 + stddev", "fast + ADA + EMA + bilinear + R1 + stddev"]
    assert all(line.rstrip().endswith(".png") for line in lines[-4:])
    untuned, tuned = lines[-2], lines[-1]
    assert "from base" in untuned and "untuned" in untuned and "from base" in tuned and "untuned" not in tuned
    assert untuned.split("untuned")[1].split()[0] == "0"  # the base's own samples: no fine-tuning steps
    assert int(tuned.split(")")[-1].split()[0]) > 0


def test_quality_refuses_an_unknown_recipe_before_training():
    result = subprocess.run([sys.executable, str(BENCHMARKS / "quality.py"), "--quick", "--only", "fast + magic"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 2 and "unknown recipe fast + magic" in result.stderr


def test_selection_compares_the_rules_on_the_same_runs():
    lines = run_quick("selection.py", "--seeds", "3")  # one training run: the second only repeated the first's path
    rules = [["latest", "snapshot"], ["lowest", "single"], ["mean", "single"], ["devface", "best"]]
    rows = [line.split() for line in lines[-8:]]
    assert [row[:4] for row in rows] == [["3", k, *rule] for k in ("4", "16") for rule in rules]
    assert [row[6] for row in rows[::4]] == ["1.000×"] * 2  # the baseline row of each k


def test_taste_judges_every_recipe_for_each_user():
    if not any((BENCHMARKS.parents[1] / "shared" / "data" / "frontend_faces").glob("*.png")):
        service_unavailable("the taste benchmark needs ../shared/data/frontend_faces")
    lines = run_quick("taste.py")
    rows = [line for line in lines if "[user" in line]
    labels = [row.split(" [")[0] for row in rows]
    assert labels == [label for label in ("real faces (the crowd)", "the user's own likes", "base, untouched",
                                          "base, only the user's taste", "base, nearest the user's likes",
                                          "fine-tune from the base",
                                          "latent: the likes' codes", "base, the face best picks",
                                          "latent: the face published")
                      for _ in range(2)]
    own_likes_taste = [row.split()[-4] for row in rows if row.startswith("the user's own likes")]
    # one published face per run: the quick run's 2 runs per user, each chosen among its 8 drawn faces
    assert [row.split("] ")[1].split()[0] for row in rows if "the face" in row] == ["2"] * 4
    assert own_likes_taste == ["100%", "100%"]
    references = next(line for line in lines if line.startswith("taste references"))
    assert [int(part.split()[-1]) for part in references.split(": ")[1].split(", ")] == [18, 10]  # 28 unliked faces
    # KID against each user's taste reference: the crowd's row differs between the users, the mixed KID does not.
    crowd = [row.split() for row in rows if row.startswith("real faces")]
    assert crowd[0][-9] == crowd[1][-9] and crowd[0][-5] != crowd[1][-5]
    for row in (row.split() for row in rows if "too few" not in row):  # each MTCNN≥.99 share in its 90 % interval
        low, high = (float(bound.rstrip("%")) for bound in row[-1].split("–"))
        assert low <= float(row[-10].rstrip("%")) <= high
    assert lines[-1].startswith("contact sheets")


def test_bases_judges_each_precision_along_its_pretraining_beside_real_faces():
    if not any((BENCHMARKS.parents[1] / "shared" / "data" / "frontend_faces").glob("*.png")):
        service_unavailable("the bases benchmark needs ../shared/data/frontend_faces")
    lines = run_quick("bases.py")
    assert lines[1].startswith("40 crowd faces at 16², 8 held out")  # 16 of 24 front-end faces, 24 demo faces
    rows = [line for line in lines if line.startswith(("real", "base"))]
    assert rows[0].startswith("real crowd faces (the floor)")
    # each precision at each point, side by side; the steps column counts on from the resumed checkpoint
    assert [(row.split()[1], *row.split()[-4:-2]) for row in rows[1:]] == [
        ("float32", "4", "-"), ("mixed_bfloat16", "4", "-"), ("float32", "8", "4"), ("mixed_bfloat16", "8", "4")]
    assert lines[-1].startswith("samples: ")


def test_sharpness_judges_plain_and_learned_enlargements_beside_real_faces():
    if not any((BENCHMARKS.parents[1] / "shared" / "data" / "frontend_faces").glob("*.png")):
        service_unavailable("the sharpness benchmark needs ../shared/data/frontend_faces")
    # The critic on the base's drawn samples only: on likes it runs the same loop without them, and both rows
    # took 8 s more of a CI run.
    lines = run_quick("sharpness.py", "--critic-on", "samples")
    rows = [line for line in lines if line.startswith(("real", "base", "held-out", "  the same"))]
    assert [row.strip().split("  ")[0] for row in rows] == [
        "real crowd faces (the floor)", "base samples, Lanczos ×2 (no upscaler)", "base samples, the base's own upscaler",
        "the same, lent the detail of 4 likes (1)", "held-out real faces shrunk, upscaled",
        "the same, lent the detail of 4 likes", "base samples, upscaler, blur ≤ 0.6, L1 alone",
        "base samples, upscaler, blur ≤ 0.6, critic 0.1 on samples"]
    sharpness = [float(row.split()[-3]) for row in rows]  # each row's against real faces'
    assert all(value > 0 for value in sharpness)
    assert sharpness[3] > sharpness[2] and sharpness[5] > sharpness[4]  # the likes lent detail to both


def test_judge_bases_judges_each_base_beside_real_faces_with_each_quarters_kid():
    if not any((BENCHMARKS.parents[1] / "shared" / "data" / "frontend_faces").glob("*.png")):
        service_unavailable("the judge_bases benchmark needs ../shared/data/frontend_faces")
    lines = run_quick("judge_bases.py", "--front-end-only")
    assert lines[1].startswith("16 crowd faces at 64², 8 held out")  # 24 front-end faces, no demo faces
    assert lines[-2].startswith("real crowd faces (the floor)")
    base = lines[-1].split()
    assert base[:2] == ["builtin", "8"]
    assert len(base) == 12 and all(np.isfinite(float(kid)) for kid in base[-4:])  # 8 figures, then 4 quarters' KID
