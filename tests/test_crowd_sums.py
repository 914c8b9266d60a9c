"""Dawid-Skene's sparse vote sums give exactly the per-class bincounts they replace (same floats)."""
import numpy as np

from diagnose.causes.annotator_inconsistency._crowd import _VoteSums


def _votes(seed=0, n_items=400, n_ann=9, k=7, per=3):
    rng = np.random.default_rng(seed)
    item = np.repeat(np.arange(n_items), per)
    annotator = np.concatenate([rng.choice(n_ann, per, replace=False) for _ in range(n_items)])
    label = rng.integers(0, k, len(item))
    order = rng.permutation(len(item))  # votes in no particular order
    return item[order], annotator[order], label[order], n_items, n_ann, k, rng


def test_expected_counts_equal_per_class_bincounts():
    item, annotator, label, n_items, n_ann, k, rng = _votes()
    post = rng.dirichlet(np.ones(k), n_items)
    soft = rng.dirichlet(np.ones(k), n_items)
    got = _VoteSums(item, annotator, label, n_items, n_ann, k).expected_counts(post, soft)
    want = np.zeros((n_ann + 1, k, k))
    for c in range(k):
        want[:n_ann, c, :] = np.bincount(annotator * k + label, weights=post[item, c], minlength=n_ann * k).reshape(n_ann, k)
    want[n_ann] = post.T @ soft
    np.testing.assert_array_equal(got, want)


def test_item_sums_equal_per_class_bincounts():
    item, annotator, label, n_items, n_ann, k, rng = _votes(1)
    log_conf = np.log(rng.dirichlet(np.ones(k), (n_ann, k)))
    got = _VoteSums(item, annotator, label, n_items + 5, n_ann, k).item_sums(log_conf)  # 5 items without votes
    want = np.zeros((n_items + 5, k))
    for c in range(k):
        want[:, c] = np.bincount(item, weights=log_conf[annotator, c, label], minlength=n_items + 5)
    np.testing.assert_array_equal(got, want)
