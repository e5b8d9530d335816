"""The confidence shown for a photo's line: the chance that the number shown is right, from what the readers said.

`read_photo` shows the line reader's number with each digit judged by the pixel CNN, or the cut
path's digits where it found as many: the line reader's own calibration is for the line reader
alone. `Evidence` is what both readers said about the number shown; `ShownConfidence`, a logistic
fit of right (0/1) on it, made on photos of calibration hands only (never the benchmark's
writers), turns it into the chance shown, and flags "not sure" below `unsure_below`. It is kept in
model/line_reader.confidence.json with the digest of the line reader it was fitted for; after the
line reader or the reading changes, `python benchmarks/photos.py --fit-confidence` fits it again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from digit_app.store.files import atomic_write, read_plain

CONFIDENCE_FILE = Path(__file__).resolve().parents[2] / "model" / "line_reader.confidence.json"
FEATURES = ("log_path", "judge_log", "judge_least", "agree", "changed")
WRONG_FLAGGED = 0.9  # "not sure" is set so that this share of the calibration photos' wrong lines are flagged
RIDGE = 1e-3  # a little weight decay: a few hundred lines, a few features
MAX_FILE_BYTES = 100_000


@dataclass(frozen=True)
class Evidence:
    """What the readers said about one line's number, as shown."""

    log_path: float  # the line reader's best path log-probability, each digit's share the mean of both readers'
    judge_log: float  # the sum over the digits shown of the log of the pixel CNN's probability for them
    judge_least: float  # the pixel CNN's probability of the digit shown it is least sure of
    agree: bool  # the cut path read the same number as the line reader
    changed: bool  # the number shown is not the line reader's own
    least_margin: float = 1.0  # of the digit shown least clearly: its probability less its runner-up's, as shown
    count_agree: bool = True  # the cut path found as many digits as the line reader (or read the line the same)
    digits: int = 1  # digits in the number shown

    def vector(self) -> np.ndarray:
        """The features the fit weighs, in FEATURES order."""
        return np.array([float(getattr(self, name)) for name in FEATURES])


@dataclass(frozen=True)
class ShownConfidence:
    """sigmoid(weights . features + offset): the chance a line's number, as shown, is right."""

    weights: tuple[float, ...]
    offset: float
    unsure_below: float
    reader_sha256: str = ""  # the line reader it was fitted for

    def __call__(self, evidence: Evidence) -> float:
        z = float(np.dot(self.weights, evidence.vector())) + self.offset
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))))


def fit_shown_confidence(features: np.ndarray, right: np.ndarray, reader_sha256: str = "") -> ShownConfidence:
    """The logistic fit of right (0/1) on (n, len(FEATURES)) features by Newton's method, and the "not sure"
    level that flags WRONG_FLAGGED of the wrong ones."""
    x = np.column_stack([np.asarray(features, np.float64), np.ones(len(features))])
    y = np.asarray(right, np.float64)
    beta = np.zeros(x.shape[1])
    ridge = RIDGE * len(y) * np.eye(x.shape[1])
    ridge[-1, -1] = 0.0  # the offset is not held back
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -50.0, 50.0)))
        gradient = x.T @ (p - y) + ridge @ beta
        hessian = (x * (p * (1 - p))[:, None]).T @ x + ridge
        step = np.linalg.solve(hessian + 1e-9 * np.eye(x.shape[1]), gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    chances = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -50.0, 50.0)))
    wrong = chances[y < 0.5]
    unsure_below = float(np.quantile(wrong, WRONG_FLAGGED)) if len(wrong) else 0.5
    return ShownConfidence(tuple(float(w) for w in beta[:-1]), float(beta[-1]), min(max(unsure_below, 0.5), 0.99),
                           reader_sha256)


def save_shown_confidence(fit: ShownConfidence, path: Path = CONFIDENCE_FILE) -> None:
    """The fit as JSON, written whole."""
    about = {"features": list(FEATURES), **asdict(fit)}
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(about, indent=2)))


def load_shown_confidence(reader_sha256: str, path: Path = CONFIDENCE_FILE) -> ShownConfidence | None:
    """The fit kept for the line reader with this digest; None when there is none for it (or it is unreadable)."""
    try:
        about = json.loads(read_plain(path, MAX_FILE_BYTES))
        fit = ShownConfidence(tuple(float(w) for w in about["weights"]), float(about["offset"]),
                              float(about["unsure_below"]), str(about["reader_sha256"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if about.get("features") != list(FEATURES) or len(fit.weights) != len(FEATURES):
        return None
    if fit.reader_sha256 != reader_sha256:
        return None
    return fit
