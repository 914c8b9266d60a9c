"""The re-run cache: warm runs give byte-identical outputs, edits are keyed, foreign folders are left alone."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import diagnose
from diagnose.cache import MARKER, ArrayCache, content_key
from diagnose.errors import InputError
from diagnose.sample import sample_paths

pytestmark = pytest.mark.filterwarnings("ignore:.*never appear in training:UserWarning")  # the sample's planted gaps

SCORES = ("counts", "calibration", "thresholds", "n_errors", "notes")


@pytest.fixture(scope="module")
def frames():
    paths = sample_paths()
    return (pl.read_csv(paths["intents_eval"]), pl.read_csv(paths["intents_train"]),
            pl.read_csv(paths["intents_annotations"]))


def _run(frames, out: Path, cache: Path | None, neighbors: str = "auto", train: pl.DataFrame | None = None):
    ev, tr, ann = frames
    config = diagnose.RunConfig(progress=False, neighbors=neighbors, cache_dir=None if cache is None else str(cache))
    result = diagnose.run(ev, tr if train is None else train, ann, seed=1, config=config)
    result.save(out, reports=False)
    return result, (out / "examples.parquet").read_bytes()


def _relabel(train: pl.DataFrame, share: float = 0.01) -> pl.DataFrame:
    rows = np.random.default_rng(0).choice(train.height, max(1, int(train.height * share)), replace=False)
    labels = train.get_column("label").to_list()
    classes = sorted(set(labels))
    for i in rows:
        labels[i] = classes[(classes.index(labels[i]) + 1) % len(classes)]
    return train.with_columns(pl.Series("label", labels))


@pytest.mark.parametrize("neighbors", ["auto", "ivf"])
def test_warm_run_is_byte_identical_to_cold(frames, tmp_path, neighbors):
    cold, cold_bytes = _run(frames, tmp_path / "cold", None, neighbors)
    first, first_bytes = _run(frames, tmp_path / "first", tmp_path / "cache", neighbors)
    warm, warm_bytes = _run(frames, tmp_path / "warm", tmp_path / "cache", neighbors)
    assert first.summary["cache"] == {"embed": "stored", "neighbors": "stored"}
    assert warm.summary["cache"] == {"embed": "hit", "neighbors": "hit"}
    assert cold_bytes == first_bytes == warm_bytes
    for key in SCORES:
        assert cold.summary[key] == warm.summary[key], key
    assert "cache_dir" not in warm.summary["config"]  # where the cache lives is not part of the result


def test_relabelled_rerun_reuses_embeddings_and_matches_a_cold_run(frames, tmp_path):
    _run(frames, tmp_path / "first", tmp_path / "cache")
    edited = _relabel(frames[1])
    warm, warm_bytes = _run(frames, tmp_path / "warm", tmp_path / "cache", train=edited)
    cold, cold_bytes = _run(frames, tmp_path / "cold", None, train=edited)
    assert warm.summary["cache"] == {"embed": "hit", "neighbors": "hit"}  # labels are not part of either key
    assert warm_bytes == cold_bytes
    for key in SCORES:
        assert cold.summary[key] == warm.summary[key], key


def test_edited_text_is_a_new_key(frames, tmp_path):
    _run(frames, tmp_path / "first", tmp_path / "cache")
    ev, tr, ann = frames
    edited = tr.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("a brand new text"))
                             .otherwise(pl.col("text")).alias("text"))
    warm, warm_bytes = _run(frames, tmp_path / "warm", tmp_path / "cache", train=edited)
    assert warm.summary["cache"] == {"embed": "stored", "neighbors": "stored"}
    assert warm_bytes == _run(frames, tmp_path / "cold", None, train=edited)[1]


def test_cache_refuses_a_folder_of_other_files_and_deletes_nothing(tmp_path):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a diagnose cache"):
        ArrayCache(mine).put("embeddings", "k", {"x": np.zeros(2)})
    assert sorted(p.name for p in mine.iterdir()) == ["todo.txt"]
    cache = ArrayCache(tmp_path / "cache")
    cache.put("embeddings", "k", {"x": np.arange(4.0)})
    assert json.loads((tmp_path / "cache" / MARKER).read_text())["written_by"] == "diagnose"
    assert not list((tmp_path / "cache").rglob(".*tmp-*"))  # no temporary file left behind


def test_damaged_entry_is_recomputed(frames, tmp_path, caplog):
    _run(frames, tmp_path / "first", tmp_path / "cache")
    for path in (tmp_path / "cache" / "neighbors").rglob("*.npy"):
        path.write_bytes(b"not an array")
    with caplog.at_level("WARNING", logger="diagnose.cache"):
        warm, warm_bytes = _run(frames, tmp_path / "warm", tmp_path / "cache")
    assert "not usable" in caplog.text
    assert warm.summary["cache"] == {"embed": "hit", "neighbors": "stored"}
    assert warm_bytes == (tmp_path / "first" / "examples.parquet").read_bytes()


def test_arrays_are_never_pickled(tmp_path):
    cache = ArrayCache(tmp_path / "cache")
    with pytest.raises(ValueError):
        cache.put("x", "k", {"objects": np.array([{"a": 1}], dtype=object)})


def test_content_key_separates_strings_and_arrays():
    assert content_key(["ab"]) != content_key(["a", "b"])
    assert content_key(np.zeros(2, np.float32)) != content_key(np.zeros(2, np.float64))
    assert content_key(np.zeros((2, 1))) != content_key(np.zeros((1, 2)))


def test_cli_cache_flag(tmp_path):
    from diagnose.cli import main

    paths = sample_paths()
    args = ["run", "--eval", str(paths["intents_eval"]), "--train", str(paths["intents_train"]), "--quiet", "--no-report",
            "--cache", str(tmp_path / "cache")]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "cache" / MARKER).is_file()
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["cache"] == {"embed": "hit", "neighbors": "hit"}
    assert (tmp_path / "a" / "examples.parquet").read_bytes() == (tmp_path / "b" / "examples.parquet").read_bytes()
