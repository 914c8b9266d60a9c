"""Crowd-label helpers of annotator_inconsistency: tied votes."""
from __future__ import annotations

import warnings

import numpy as np

from diagnose.causes.annotator_inconsistency._crowd import crowdlab_quality


def test_cleanlab_tied_votes_fall_back_quietly_and_keep_global_rng():
    # every multi-vote item tied: cleanlab's tie-break raised a numpy error that surfaced as a UserWarning
    state = np.random.get_state()[1].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quality = crowdlab_quality(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([0, 1, 0, 1]),
                                   np.array([[0.4, 0.6], [0.5, 0.5]]), 2)
    assert quality is None
    assert (np.random.get_state()[1] == state).all()
