"""Soft steps used to blend tissue layers without aliasing."""

from __future__ import annotations

import numpy as np


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """0 below edge0, 1 above edge1, a cubic ramp between (edges may be given in either order)."""
    t = np.subtract(x, edge0, dtype=np.float32)
    t *= np.float32(1 / (edge1 - edge0))
    np.clip(t, 0, 1, out=t)
    squared = t * t
    t *= -2
    t += 3
    t *= squared
    return t


def sigmoid(x: np.ndarray) -> np.ndarray:
    return (0.5 * (1 + np.tanh(0.5 * x))).astype(np.float32, copy=False)
