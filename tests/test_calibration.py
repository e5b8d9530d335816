"""How sure the model says it is: the temperature, fitted, saved with a model and applied to every answer."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from digit_app.calibration import (
    MAX_TEMPERATURE,
    MIN_DIGITS,
    calibration_error,
    check_fit,
    fit_temperature,
    apply_temperature,
)
from digit_app.model import load_classifier
from digit_app.prediction import Reading, read_digit, read_number, read_number_strokes
from digit_app.render import draw_strokes
from digit_app.store.metadata import TrainingSummary
from digit_app.store.model_files import update_summary
from digit_app.store.versions import SHIPPED_MODEL
from digit_app.strokes.canvas import CanvasStroke
from digit_app.sizes import NUMBER_CANVAS
from tests.strokes import digit_strokes, draw_digit


def softmax(logits: np.ndarray) -> np.ndarray:
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def test_the_temperature_that_made_the_labels_is_found():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4000, 10))
    truth = 0.5  # the labels are drawn from sharper probabilities than the model gives
    sharper = softmax(logits / truth)
    labels = np.array([rng.choice(10, p=row) for row in sharper])
    found = fit_temperature(softmax(logits), labels)
    assert found == pytest.approx(truth, rel=0.1)
    before = calibration_error(softmax(logits), labels)
    assert calibration_error(apply_temperature(softmax(logits), found), labels) < before / 3


def test_a_fit_on_too_few_digits_or_on_the_bound_of_the_search_is_not_believed():
    one = softmax(np.array([[0.0, 3.0] + [0.0] * 8]))  # one image, read wrongly: the fit runs to the bound
    assert fit_temperature(one, np.array([0])) == pytest.approx(MAX_TEMPERATURE)
    with pytest.raises(ValueError, match=f"at least {MIN_DIGITS} training digits, and the data has 1"):
        check_fit(fit_temperature(one, np.array([0])), 1)
    with pytest.raises(ValueError, match="lies on the bound of the search"):
        check_fit(MAX_TEMPERATURE, 10_000)
    check_fit(0.46, MIN_DIGITS)  # a fit inside the search on enough digits is believed


def test_sharpening_keeps_every_answer_and_sums_to_one():
    probabilities = softmax(np.random.default_rng(1).normal(0, 1, (50, 10)))
    sharp = apply_temperature(probabilities, 0.4)
    np.testing.assert_array_equal(np.argsort(sharp, axis=1), np.argsort(probabilities, axis=1))
    np.testing.assert_allclose(sharp.sum(axis=1), 1.0, rtol=1e-6)
    assert (sharp.max(axis=1) > probabilities.max(axis=1)).all()
    assert apply_temperature(probabilities, 1.0) is probabilities
    with pytest.raises(ValueError, match="temperature"):
        apply_temperature(probabilities, 0.0)


def test_the_shipped_model_says_how_sure_it_is_honestly(classifier, mnist_sample):
    """Its confidence on test digits is within 2 points of how often it is right; the network alone is 5 below."""
    images, labels = mnist_sample["x_test"] / 255.0, mnist_sample["y_test"]
    raw, calibrated = classifier.predict_proba(images, calibrated=False), classifier.predict_proba(images)
    assert classifier.temperature < 1.0
    np.testing.assert_array_equal(raw.argmax(axis=1), calibrated.argmax(axis=1))
    accuracy = (calibrated.argmax(axis=1) == labels).mean()
    assert abs(calibrated.max(axis=1).mean() - accuracy) < 0.02 < accuracy - raw.max(axis=1).mean()


@pytest.mark.parametrize("saved", [-1, 0, 99, "0.5", True, None])
def test_a_temperature_that_cannot_be_right_is_not_used(tmp_path, classifier, saved):
    for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
        shutil.copy(part, tmp_path / part.name)
    copy = tmp_path / SHIPPED_MODEL.name
    update_summary(copy, temperature=saved)
    assert load_classifier(copy).temperature == 1.0  # from a file, the wrong kinds never reach the model
    given = dataclasses.replace(classifier, summary=TrainingSummary(temperature=saved))
    assert given.temperature == 1.0  # nor any value that is no temperature, however it is handed over


def drawn_number() -> list[CanvasStroke]:
    return [CanvasStroke(stroke, 14.0) for digit, left in ((2, 60), (0, 190), (4, 320))
            for stroke in digit_strokes(digit, left, 40, 110)]


def test_every_answer_a_person_sees_is_calibrated_once(classifier):
    """One drawing, a number from strokes, a number from pixels: the network's own probabilities, sharpened once."""
    seven = draw_digit(7, 50, 40, 190, brush=20)
    reading = read_digit(seven, classifier, [CanvasStroke(s, 20.0) for s in digit_strokes(7, 50, 40, 190)])
    number = read_number_strokes(drawn_number(), classifier, NUMBER_CANVAS)
    photo = read_number(draw_strokes([stroke.points for stroke in drawn_number()], 14.0, NUMBER_CANVAS), classifier)
    assert number.text == photo.text == "204"
    for shown in (reading, *number.digits, *photo.digits):
        np.testing.assert_allclose(shown.probabilities, classifier.calibrate(shown.network), rtol=1e-5)
        assert shown.confidence > shown.network.max()  # the shipped network is underconfident
    images = np.stack([reading.model_input, *(d.model_input for d in number.digits)])
    np.testing.assert_allclose(classifier.predict_proba(images),
                               classifier.calibrate(classifier.predict_proba(images, calibrated=False)), rtol=1e-5)


def test_not_sure_is_judged_on_the_networks_own_probabilities():
    """A 0.55 / 0.40 answer is "not sure" even when calibration shows it as 0.7 / 0.3."""
    own = np.array([0.55, 0.40] + [0.05 / 8] * 8)
    unsure = Reading(0, apply_temperature(own[None], 0.5)[0], np.zeros((28, 28)), network=own)
    assert unsure.confidence > 0.6 and not unsure.is_sure
    sure = Reading(0, apply_temperature(own[None], 0.5)[0], np.zeros((28, 28)))  # without the network's own: as shown
    assert sure.is_sure == (sure.confidence >= 0.6 and sure.confidence - sure.probabilities[1] >= 0.25)
