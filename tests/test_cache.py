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
    assert first.summary["cache"] == {"embed": "stored", "neighbors": "stored", "eval_posterior": "stored"}
    assert warm.summary["cache"] == {"embed": "hit", "neighbors": "hit", "eval_posterior": "hit"}
    assert cold_bytes == first_bytes == warm_bytes
    for key in SCORES:
        assert cold.summary[key] == warm.summary[key], key
    assert "cache_dir" not in warm.summary["config"]  # where the cache lives is not part of the result


def test_relabelled_rerun_reuses_embeddings_and_matches_a_cold_run(frames, tmp_path):
    _run(frames, tmp_path / "first", tmp_path / "cache")
    edited = _relabel(frames[1])
    warm, warm_bytes = _run(frames, tmp_path / "warm", tmp_path / "cache", train=edited)
    cold, cold_bytes = _run(frames, tmp_path / "cold", None, train=edited)
    # labels are not part of these keys (the sample's eval rows come with their model's probabilities)
    assert warm.summary["cache"] == {"embed": "hit", "neighbors": "hit", "eval_posterior": "hit"}
    assert warm_bytes == cold_bytes
    for key in SCORES:
        assert cold.summary[key] == warm.summary[key], key


def test_edited_text_is_a_new_key(frames, tmp_path):
    _run(frames, tmp_path / "first", tmp_path / "cache")
    ev, tr, ann = frames
    edited = tr.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("a brand new text"))
                             .otherwise(pl.col("text")).alias("text"))
    warm, warm_bytes = _run(frames, tmp_path / "warm", tmp_path / "cache", train=edited)
    assert warm.summary["cache"] == {"embed": "stored", "neighbors": "stored", "eval_posterior": "hit"}
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
    assert warm.summary["cache"] == {"embed": "hit", "neighbors": "stored", "eval_posterior": "hit"}
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
    # no annotations: no vote posterior to keep
    assert (tmp_path / "a" / "examples.parquet").read_bytes() == (tmp_path / "b" / "examples.parquet").read_bytes()


# ------------------------------------------------------------ stage outputs that do not read training labels
def test_added_row_rerun_matches_a_cold_run(frames, tmp_path):
    _run(frames, tmp_path / "first", tmp_path / "cache")
    tr = frames[1]
    grown = pl.concat([tr, tr.head(1).with_columns(pl.lit("added-row-1").alias("id"),
                                                   pl.lit("where is the card I ordered last week").alias("text"))])
    warm, warm_bytes = _run(frames, tmp_path / "warm", tmp_path / "cache", train=grown)
    assert warm.summary["cache"] == {"embed": "stored", "neighbors": "stored", "eval_posterior": "hit"}
    cold, cold_bytes = _run(frames, tmp_path / "cold", None, train=grown)
    assert warm_bytes == cold_bytes
    for key in SCORES:
        assert cold.summary[key] == warm.summary[key], key


def test_vote_posterior_hit_is_not_recomputed_and_edited_votes_are_a_new_key(frames, tmp_path, monkeypatch):
    from diagnose import votes

    _run(frames, tmp_path / "first", tmp_path / "cache")
    calls = []
    compute = votes._eval_posterior
    monkeypatch.setattr(votes, "_eval_posterior", lambda *a, **k: calls.append(1) or compute(*a, **k))
    warm, warm_bytes = _run(frames, tmp_path / "warm", tmp_path / "cache", train=_relabel(frames[1]))
    assert warm.summary["cache"]["eval_posterior"] == "hit" and calls == []
    ev, tr, ann = frames
    other = next(v for v in ann["label"] if v != ann["label"][0])
    flipped = ann.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(other))
                               .otherwise(pl.col("label")).alias("label"))
    assert flipped["label"][0] != ann["label"][0]
    edited = (ev, tr, flipped)
    again, again_bytes = _run(edited, tmp_path / "again", tmp_path / "cache")
    assert again.summary["cache"]["eval_posterior"] == "stored" and calls
    assert again_bytes == _run(edited, tmp_path / "cold", None)[1]


@pytest.fixture(scope="module")
def rag():
    paths = sample_paths()
    return pl.read_csv(paths["rag_eval"]), pl.read_csv(paths["rag_contexts"])


def _run_rag(ev, ctx, out: Path, cache: Path | None):
    config = diagnose.RunConfig(progress=False, cache_dir=None if cache is None else str(cache))
    result = diagnose.run(ev, contexts=ctx, seed=0, config=config)
    result.save(out, reports=False)
    return result, {p.name: p.read_bytes() for p in sorted(out.glob("*.parquet"))}


def test_context_conflicts_are_reused_and_a_changed_passage_is_a_new_key(rag, tmp_path):
    ev, ctx = rag
    cold, cold_files = _run_rag(ev, ctx, tmp_path / "cold", None)
    first, first_files = _run_rag(ev, ctx, tmp_path / "first", tmp_path / "cache")
    warm, warm_files = _run_rag(ev, ctx, tmp_path / "warm", tmp_path / "cache")
    assert first.summary["cache"]["contradictory_context"] == "stored"
    assert warm.summary["cache"]["contradictory_context"] == "hit"
    assert cold_files == first_files == warm_files and "context_conflicts.parquet" in warm_files
    for key in SCORES:
        assert cold.summary[key] == warm.summary[key], key
    passages = ctx.get_column("passage").to_list()
    row = next(i for i, p in enumerate(passages) if any(ch.isdigit() for ch in p))
    passages[row] = "".join("7" if ch.isdigit() else ch for ch in passages[row])  # another number in one passage
    changed = ctx.with_columns(pl.Series("passage", passages))
    edited, edited_files = _run_rag(ev, changed, tmp_path / "edited", tmp_path / "cache")
    assert edited.summary["cache"]["contradictory_context"] == "stored"
    assert edited_files == _run_rag(ev, changed, tmp_path / "edited_cold", None)[1]
    # and the other question: an edited prediction is a new key too
    other = ev.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("something else"))
                            .otherwise(pl.col("prediction")).alias("prediction"))
    assert _run_rag(other, ctx, tmp_path / "pred", tmp_path / "cache")[0].summary["cache"]["contradictory_context"] == "stored"


def test_damaged_or_partial_analyzer_entry_is_recomputed(rag, tmp_path, caplog):
    ev, ctx = rag
    _, first_files = _run_rag(ev, ctx, tmp_path / "first", tmp_path / "cache")
    entry = next((tmp_path / "cache" / "analyzers" / "contradictory_context").iterdir())
    (entry / "score.parquet").write_bytes(b"PAR1 torn")
    with caplog.at_level("WARNING", logger="diagnose.cache"):
        damaged, damaged_files = _run_rag(ev, ctx, tmp_path / "damaged", tmp_path / "cache")
    assert "not usable" in caplog.text and damaged.summary["cache"]["contradictory_context"] == "stored"
    assert damaged_files == first_files
    (entry / "status.json").unlink()  # an entry whose last file was never written: absent, silently
    partial, partial_files = _run_rag(ev, ctx, tmp_path / "partial", tmp_path / "cache")
    assert partial.summary["cache"]["contradictory_context"] == "stored" and partial_files == first_files
    assert not list((tmp_path / "cache").rglob(".*tmp-*"))


def test_no_cache_folder_writes_nothing(rag, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, _ = _run_rag(*rag, tmp_path / "out", None)
    assert "cache" not in result.summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_only_the_registered_analyzer_with_plain_settings_is_cached():
    from diagnose.cache import analyzer_key
    from diagnose.causes.contradictory_context import ContradictoryContext
    from diagnose.causes.noisy_label.analyzer import NoisyLabel
    from diagnose.core import Prepared

    ev = pl.DataFrame({"id": ["q1"], "text": ["When was it built?"], "label": ["1867"], "prediction": ["1743"]})
    ctx = pl.DataFrame({"id": ["q1", "q1"], "passage_id": ["a", "b"], "passage": ["Built in 1867.", "Built in 1743."]})
    data = Prepared(task="generation", eval=ev, contexts=ctx)

    class Reads(ContradictoryContext):  # a subclass may read more than its parent
        pass

    assert analyzer_key(ContradictoryContext(), data) is not None
    assert analyzer_key(ContradictoryContext(top_k=4), data) != analyzer_key(ContradictoryContext(), data)
    assert analyzer_key(ContradictoryContext(judge=object()), data) is None
    assert analyzer_key(Reads(), data) is None
    assert analyzer_key(NoisyLabel(), data) is None  # reads training labels


def test_generation_run_with_votes_and_a_cache(rag, tmp_path):
    ev, ctx = rag
    ann = pl.DataFrame({"id": ev["id"].to_list()[:5] * 2, "annotator": ["a"] * 5 + ["b"] * 5,
                        "label": ev["label"].to_list()[:5] * 2})
    config = diagnose.RunConfig(progress=False, cache_dir=str(tmp_path / "cache"))
    result = diagnose.run(ev, annotations=ann, contexts=ctx, config=config)
    assert result.summary["cache"] == {"embed": "stored", "contradictory_context": "stored"}  # no class labels: no vote posterior
