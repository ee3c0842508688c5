"""The bad-input corpus through the memory, dir and postgres sources: each case decodes correctly, is
skipped with a named reason, or is rejected with a typed error — as its row in `cases.py` says."""

from __future__ import annotations

import base64

import attrs
import numpy as np
import pytest

from devface_adapters.filesystem import DirectoryAdapter
from devface_adapters.memory import MemoryAdapter
from devface_adapters.postgres import PostgresAdapter
from devface_core.dataset import load_training_set
from devface_core.pipeline import run_pipeline
from tests.corpus.cases import DECODED, HUGE_TEXT_LIMIT, IMAGE_CASES, SKIPPED, USER_CASES, solid_png
from tests.helpers import pg

USER = "corpus"
TOLERANCE = 16


class MemoryCorpus:
    name = "memory"

    def __init__(self, tmp_path, request):
        self.adapter = MemoryAdapter(space=f"corpus-{id(self)}")

    def add(self, user_id, name, data):
        self.adapter.add(user_id, data, name)


class DirCorpus:
    name = "dir"

    def __init__(self, tmp_path, request):
        self.root = tmp_path / "likes"
        self.root.mkdir()
        self.adapter = DirectoryAdapter(path=str(self.root))

    def add(self, user_id, name, data):
        folder = self.root / user_id
        folder.mkdir(exist_ok=True)
        (folder / f"{name}.png").write_bytes(data.encode() if isinstance(data, str) else data)


class PostgresCorpus:
    name = "postgres"

    def __init__(self, tmp_path, request):
        self.dsn, self.schema = request.getfixturevalue("pg_dsn"), request.getfixturevalue("pg_schema")
        pg.create_deployed_tables(self.dsn, self.schema)
        self.adapter = PostgresAdapter(dsn=self.dsn, schema=self.schema)

    def add(self, user_id, name, data):
        # The swipe app stores text: binary data arrives base64-encoded, text as it is.
        text = base64.b64encode(data).decode() if isinstance(data, bytes) else data
        pg.insert_like(self.dsn, self.schema, user_id, text)


CORPORA = {corpus.name: corpus for corpus in (MemoryCorpus, DirCorpus, PostgresCorpus)}


@pytest.fixture(params=list(CORPORA))
def corpus(request, tmp_path):
    """One source kind, holding every image case for USER, in case order."""
    store = CORPORA[request.param](tmp_path, request)
    for index, case in enumerate(IMAGE_CASES):
        store.add(USER, f"{index:02d}_{case.name}", case.make())
    return store


@pytest.fixture
def config(tiny_config):
    # The original recipe: after one epoch the default `fast` generator still draws a flat grey, which the
    # near-copy guard (rightly) refuses next to the corpus's flat images; this table is about input.
    return attrs.evolve(tiny_config, epochs=1, max_image_bytes=HUGE_TEXT_LIMIT, architecture="seed", ema=0.0,
                        augment="none", ada_target=0.0, mirror=False)


def test_the_corpus_is_at_least_25_cases():
    assert len(IMAGE_CASES) + len(USER_CASES) >= 25
    assert len({case.name for case in IMAGE_CASES + USER_CASES}) == len(IMAGE_CASES) + len(USER_CASES)


def actual_outcomes(skipped, images=None) -> dict[str, tuple[str, object]]:
    """Each case's outcome: skips are matched to cases by the case name the key carries, or the row id."""
    def case_index(key: str) -> int:
        if " row " in key:  # postgres keys name the row; rows were inserted in case order into a new table
            return int(key.rsplit(" ", 1)[1]) - 1
        return next(i for i, case in enumerate(IMAGE_CASES) if f"{i:02d}_{case.name}" in key)

    outcomes = {IMAGE_CASES[case_index(skip.key)].name: (SKIPPED, skip.reason) for skip in skipped}
    kept = [case for case in IMAGE_CASES if case.name not in outcomes]
    if images is not None:
        outcomes.update({case.name: (DECODED, pixels) for case, pixels in zip(kept, images, strict=True)})
    return outcomes


def test_each_image_decodes_correctly_or_is_skipped_with_its_reason(corpus, config):
    loaded = load_training_set(corpus.adapter, USER, attrs.evolve(config, image_size=32))
    outcomes = actual_outcomes(loaded.skipped, loaded.images)
    assert loaded.images_read == len(IMAGE_CASES)
    for case in IMAGE_CASES:
        outcome, detail = outcomes[case.name]
        assert outcome == case.outcome, f"{case.name}: {outcome} ({detail if outcome == SKIPPED else ''})"
        if outcome == SKIPPED:
            assert case.reason in detail, f"{case.name}: reason {detail!r}"
        else:
            y, x = (int(fraction * 31) for fraction in case.at)
            assert np.abs(detail[y, x].astype(int) - case.pixel).max() <= TOLERANCE, f"{case.name}: {detail[y, x]}"


def test_the_full_pipeline_trains_on_the_good_ones_and_reports_the_rest(corpus, config):
    sink = MemoryAdapter(space=f"corpus-sink-{corpus.name}")
    report = run_pipeline(corpus.adapter, sink, USER, config)
    assert report.images_used == sum(case.outcome == DECODED for case in IMAGE_CASES)
    reported = {name: reason for name, (outcome, reason) in actual_outcomes(report.skipped).items()}
    assert {case.name for case in IMAGE_CASES if case.outcome == SKIPPED} == set(reported)
    assert sink.space.published(USER) is not None


@pytest.mark.parametrize("case", USER_CASES, ids=lambda case: case.name)
def test_each_user_id_runs_or_is_rejected_with_a_typed_error_writing_nothing(corpus, config, case):
    if case.outcome == DECODED:
        for index in range(2):
            corpus.add(case.user_id, f"good{index}", solid_png())
    sink = MemoryAdapter(space=f"corpus-users-{corpus.name}-{case.name}")
    expected_error = case.by_source.get(corpus.name, case.error)
    if expected_error is None:
        report = run_pipeline(corpus.adapter, sink, case.user_id, config)
        assert report.user_id == case.user_id and sink.space.published(case.user_id) is not None
        return
    with pytest.raises(expected_error) as raised:
        run_pipeline(corpus.adapter, sink, case.user_id, config)
    assert "\n" not in str(raised.value), "errors are one line"
    assert sink.space.published(case.user_id) is None


def test_sql_injection_user_id_leaves_the_table_intact(request, tmp_path, config):
    store = PostgresCorpus(tmp_path, request)
    store.add(USER, "good", solid_png())
    injection = next(case.user_id for case in USER_CASES if case.name == "sql_injection")
    with pytest.raises(Exception):
        run_pipeline(store.adapter, MemoryAdapter(space="corpus-injection"), injection, config)
    count = pg.execute(store.dsn, f'SELECT count(*) FROM "{store.schema}".tbl_save_image', fetch=True)
    assert count == [(1,)]
