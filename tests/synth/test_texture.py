"""Parenchymal texture statistics."""

from __future__ import annotations

import numpy as np
import pytest

from cemviewer.synth.texture import power_law_noise


@pytest.mark.parametrize("beta", [2.0, 3.0])
def test_power_law_noise_has_the_requested_spectral_slope(beta):
    field = power_law_noise((256, 256), beta, np.random.default_rng(0))
    assert field.dtype == np.float32
    assert abs(field.mean()) < 1e-4 and field.std() == pytest.approx(1.0, rel=1e-3)
    power = np.abs(np.fft.fft2(field)) ** 2
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(256), np.fft.fftfreq(256), indexing="ij"))
    band = (f > 0.03) & (f < 0.3)  # away from the floor frequency and the corners
    slope = np.polyfit(np.log(f[band]), np.log(power[band]), 1)[0]
    assert slope == pytest.approx(-beta, abs=0.15)
