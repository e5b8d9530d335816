"""The files the tests use, in tests/fixtures/. Importing this module changes nothing (no environment variable):
`benchmarks/` import it too, and their servers learn from the real pen digits.
"""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
MNIST_SAMPLE = FIXTURES / "mnist_sample.npz"  # 300 MNIST training and 300 test digits, Keras' keys
PEN_SAMPLE = FIXTURES / "pen_digits_small.npz"  # 4 of each digit by writers 1 and 2, and by held-out writer 25
UNIPEN_SAMPLE = FIXTURES / "pendigits_small.tra"  # six digits of pendigits-orig.tra, two of them in two strokes

# Training in the tests, and in the app servers they start (`serve(..., env=SMALL_PEN_DIGITS)`), learns from the
# small pen sample: seconds, not minutes. The name is digit_app.settings.ENV_PEN_DIGITS.
SMALL_PEN_DIGITS = {"DIGIT_APP_PEN_DIGITS": str(PEN_SAMPLE)}
