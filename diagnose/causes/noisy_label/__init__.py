"""The noisy_label cause: a wrong gold label, or training labels that taught the mistake."""
from __future__ import annotations

from diagnose.causes.noisy_label.analyzer import NoisyLabel

__all__ = ["NoisyLabel"]
