"""The confidence shown for a photo's line: fitted on what both readers said, kept for one line reader only."""

import json

import numpy as np

from digit_app.photos.confidence import (FEATURES, WRONG_FLAGGED, Evidence, ShownConfidence, fit_shown_confidence,
                                         load_shown_confidence, save_shown_confidence)


def made_up_lines(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Lines whose chance of being right is known: higher when the pixel CNN is sure and the readers agree."""
    rng = np.random.default_rng(seed)
    log_path = rng.uniform(-6, 0, count)
    judge_log = rng.uniform(-4, 0, count)
    agree = rng.random(count) < 0.6
    z = 0.8 * log_path + 1.2 * judge_log + 2.0 * agree + 1.5
    right = rng.random(count) < 1 / (1 + np.exp(-z))
    features = np.column_stack([log_path, judge_log, np.exp(judge_log), agree, np.zeros(count)])
    return features, right.astype(np.float64)


def test_the_fit_is_calibrated_on_lines_it_did_not_see_and_flags_most_wrong_ones():
    features, right = made_up_lines(4000)
    fit = fit_shown_confidence(features[:2000], right[:2000])
    chances = np.array([fit(Evidence(*row[:3], bool(row[3]), bool(row[4]))) for row in features[2000:]])
    held = right[2000:]
    edges = np.linspace(0, 1, 11)
    which = np.clip(np.digitize(chances, edges[1:-1]), 0, 9)
    error = sum((which == b).mean() * abs(chances[which == b].mean() - held[which == b].mean())
                for b in range(10) if (which == b).any())
    assert error < 0.04
    flagged = (chances[held < 0.5] < fit.unsure_below).mean()
    assert flagged > WRONG_FLAGGED - 0.06
    assert fit.weights[FEATURES.index("agree")] > 0.5  # agreeing readers make a number surer


def test_a_fit_is_used_only_for_the_line_reader_it_was_fitted_for(tmp_path):
    path = tmp_path / "confidence.json"
    fit = ShownConfidence((0.5, 1.0, 0.0, 2.0, -1.0), 1.0, 0.8, "abc")
    save_shown_confidence(fit, path)
    assert load_shown_confidence("abc", path) == fit
    assert load_shown_confidence("another reader", path) is None
    assert load_shown_confidence("abc", tmp_path / "missing.json") is None
    about = json.loads(path.read_text())
    path.write_text(json.dumps({**about, "weights": [1.0, 2.0]}))  # not one weight per feature
    assert load_shown_confidence("abc", path) is None
    path.write_text("{not json")
    assert load_shown_confidence("abc", path) is None


def test_evidence_of_agreeing_sure_readers_reads_surer_than_of_disagreeing_ones():
    fit = ShownConfidence((0.5, 1.0, 0.5, 2.0, -1.0), 1.0, 0.8)
    sure = Evidence(-0.1, -0.05, 0.97, agree=True, changed=False)
    unsure = Evidence(-2.0, -3.0, 0.1, agree=False, changed=True)
    assert 0.0 < fit(unsure) < fit(sure) < 1.0
