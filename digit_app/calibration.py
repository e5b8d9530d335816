"""How sure, honestly: one temperature that makes the model's confidence match how often it is right.

Label smoothing in training (and a reader that averages two models) leaves the network
underconfident. The shipped model says 93% on average for held-out writers' drawings, and it is
right on 99.4% of them. Dividing the log-probabilities by a temperature T below 1 sharpens them.
T is fitted once, by the least log-loss on digits the model was trained on, and kept in its
metadata. The order of the ten probabilities is kept, so no answer changes, only how sure it says it is.
"""

from __future__ import annotations

import numpy as np

from digit_app.errors import DigitAppError

MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 5.0  # a fitted or saved temperature outside these is not believed
MIN_DIGITS = 500  # fewer digits do not pin a temperature down: `calibrate` refuses to fit on them
GRID_POINTS = 241  # temperatures tried, evenly spaced in log between the two bounds
TINY = 1e-12  # a probability is never taken as exactly 0 before its logarithm


class CalibrationError(DigitAppError, ValueError):
    """A temperature cannot be used or fitted (out of range, too few digits, a fit on the search's bound)."""


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (n, 10) recomputed as softmax(log p / T): sharper for T < 1, the same order in every row."""
    if not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
        raise CalibrationError(f"A temperature lies between {MIN_TEMPERATURE} and {MAX_TEMPERATURE}, "
                               f"got {temperature}.")
    if temperature == 1.0:
        return probabilities
    logits = np.log(np.clip(probabilities, TINY, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return (weights / weights.sum(axis=-1, keepdims=True)).astype(probabilities.dtype, copy=False)


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature whose sharpened probabilities give `labels` the least log-loss (a grid search: no optimiser)."""
    probabilities, labels = np.asarray(probabilities, np.float64), np.asarray(labels).astype(np.int64)
    if probabilities.ndim != 2 or len(probabilities) != len(labels) or not len(labels):
        raise ValueError(f"Fitting a temperature needs probabilities (n, 10) and n labels, got "
                         f"{probabilities.shape} and {labels.shape}.")
    rows = np.arange(len(labels))
    temperatures = np.geomspace(MIN_TEMPERATURE, MAX_TEMPERATURE, GRID_POINTS)
    losses = [-np.log(np.clip(apply_temperature(probabilities, t)[rows, labels], TINY, 1.0)).mean()
              for t in temperatures]
    return float(temperatures[int(np.argmin(losses))])


def check_digits(digits: int) -> None:
    """Raise CalibrationError (one sentence) when fewer than MIN_DIGITS digits are there to fit a temperature on."""
    if digits < MIN_DIGITS:
        raise CalibrationError(f"Fitting a temperature needs at least {MIN_DIGITS} training digits, and the data has "
                         f"{digits}; nothing was changed.")


def check_fit(temperature: float, digits: int) -> None:
    """Raise CalibrationError (one sentence) unless a temperature fitted on `digits` digits can be believed.

    Fewer than MIN_DIGITS digits say little about how sure a model should be; a best fit on a bound
    of the search (one image gives 5.0) means the best lies beyond what is searched, or nowhere.
    """
    check_digits(digits)
    if np.isclose(temperature, MIN_TEMPERATURE) or np.isclose(temperature, MAX_TEMPERATURE):
        raise CalibrationError(f"The best temperature lies on the bound of the search ({temperature:g}, searched "
                         f"{MIN_TEMPERATURE} to {MAX_TEMPERATURE}): the data does not fit this model, so nothing "
                         "was changed.")


def calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: how far the confidence shown is from the share right, weighted over `bins` bands."""
    confidence = np.asarray(probabilities).max(axis=1)
    right = np.asarray(probabilities).argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    bands = [(confidence > low) & (confidence <= high) for low, high in zip(edges, edges[1:])]
    return float(sum(band.mean() * abs(confidence[band].mean() - right[band].mean()) for band in bands if band.any()))
