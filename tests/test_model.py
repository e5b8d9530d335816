"""The classifier: loading (good, missing, broken files), prediction shapes, its LiteRT copies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from digit_app.model import Classifier, ModelLoadError, load_classifier
from digit_app.networks import average_models, build_model
from digit_app.store.metadata import TrainingSummary, metadata_path
from digit_app.store.model_files import save_model
from digit_app.store.versions import SHIPPED_MODEL


def test_predict_proba_takes_one_image_or_a_batch(classifier, mnist_sample):
    images = mnist_sample["x_test"][:5] / 255.0
    batch = classifier.predict_proba(images)
    single = classifier.predict_proba(images[0])
    assert batch.shape == (5, 10) and single.shape == (1, 10)
    assert np.allclose(batch.sum(axis=1), 1.0, atol=1e-4)
    assert np.allclose(single[0], batch[0], atol=1e-5)


def test_predict_proba_refuses_other_shapes(classifier):
    with pytest.raises(ValueError, match="28, 28"):
        classifier.predict_proba(np.zeros((3, 32, 32)))


def test_shipped_model_reads_raw_mnist(classifier, mnist_sample):
    predicted = classifier.predict_proba(mnist_sample["x_test"] / 255.0).argmax(axis=1)
    assert np.mean(predicted == mnist_sample["y_test"]) >= 0.97


def test_shipped_model_metadata_says_how_it_was_made():
    metadata = json.loads(metadata_path(SHIPPED_MODEL).read_text())
    for key in ("data", "training", "test_accuracy", "saved_at", "tensorflow_version", "keras_version"):
        assert key in metadata
    assert metadata["data"]["train_images"] > 0
    members = metadata["training"].get("average_of", [metadata])  # an average says how each member was made
    assert all("augment" in member["training"] for member in members)


def test_default_path_is_the_active_model():
    assert load_classifier().path == SHIPPED_MODEL


def test_missing_model_names_the_file_and_the_fix(tmp_path):
    missing = tmp_path / "nowhere.keras"
    with pytest.raises(ModelLoadError, match="nowhere.keras") as error:
        load_classifier(missing)
    assert "train" in str(error.value)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", SHIPPED_MODEL.read_bytes()[:2000]],
                         ids=["empty", "garbage", "truncated"])
def test_broken_model_file_names_the_file(tmp_path, content):
    broken = tmp_path / "broken.keras"
    broken.write_bytes(content)
    with pytest.raises(ModelLoadError, match="broken.keras"):
        load_classifier(broken)


def test_model_with_wrong_shapes_is_refused(tmp_path):
    import keras

    inputs = keras.Input((32, 32, 3))
    wrong = keras.Model(inputs, keras.layers.Dense(5)(keras.layers.Flatten()(inputs)))
    path = tmp_path / "wrong.keras"
    wrong.save(path)
    with pytest.raises(ModelLoadError, match="takes"):
        load_classifier(path)


def test_a_model_with_python_code_in_it_is_refused(tmp_path):
    """A Lambda layer carries arbitrary Python; safe loading must refuse it, shapes notwithstanding."""
    import keras

    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(ModelLoadError, match="lambda.keras.*(?i:lambda|unsafe|safe_mode)"):
        load_classifier(path)


@pytest.mark.slow
@pytest.mark.parametrize("metadata", [None, "", "{not json", "[1, 2]"],
                         ids=["missing", "empty", "invalid", "not an object"])
def test_missing_or_broken_metadata_still_loads_the_model(tmp_path, metadata):
    path = tmp_path / "model.keras"
    path.write_bytes(SHIPPED_MODEL.read_bytes())
    if metadata is not None:
        path.with_suffix(".json").write_text(metadata)
    loaded = load_classifier(path)
    assert loaded.metadata == {}
    assert loaded.predict_proba(np.zeros((28, 28), np.float32)).shape == (1, 10)


@pytest.mark.slow
def test_an_average_of_models_answers_with_their_mean_and_survives_a_save(tmp_path, mnist_sample):
    import keras

    first, second = build_model(), build_model()
    second.set_weights([w + 0.05 for w in second.get_weights()])  # two different random networks
    images = mnist_sample["x_test"][:16, ..., None] / 255.0
    expected = (first.predict(images, verbose=0) + second.predict(images, verbose=0)) / 2
    path = save_model(average_models([first, second]), tmp_path / "average.keras", TrainingSummary())
    loaded = load_classifier(path)  # safe mode: nothing but standard layers inside
    assert np.allclose(loaded.predict_proba(images[..., 0]), expected, atol=1e-5)
    assert np.allclose(loaded.predict_proba(images[0, ..., 0]), expected[:1], atol=1e-5)  # the LiteRT path
    with pytest.raises(ValueError, match="at least two"):
        average_models([keras.Model(first.inputs, first.outputs)])


def test_an_archive_that_would_unpack_to_far_too_much_is_not_opened(tmp_path):
    import zipfile

    from digit_app.model import ModelLoadError, load_classifier

    padded = tmp_path / "padded.keras"
    with zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "{" + " " * 20_000_000 + "}")  # 20 MB of spaces, a few KB compressed
        archive.writestr("metadata.json", "{}")
    assert padded.stat().st_size < 200_000
    with pytest.raises(ModelLoadError, match="would unpack to"):
        load_classifier(padded)
    text = tmp_path / "notes.keras"
    text.write_text("hello")
    with pytest.raises(ModelLoadError, match="not a Keras model file"):
        load_classifier(text)


def test_the_drawing_path_runs_on_litert_without_importing_tensorflow():
    """The Draw page's work (load the active model, read a drawing and a whole number) in a fresh process."""
    import subprocess
    import sys

    code = """
import sys
import numpy as np
from digit_app.model import load_classifier
from digit_app.prediction import read_digit, read_number_strokes
from digit_app.render import draw_strokes
from digit_app.strokes.canvas import CanvasStroke
four = [np.array([(160, 40), (60, 190), (230, 190)], np.float32), np.array([(170, 110), (170, 260)], np.float32)]
classifier = load_classifier()
reading = read_digit(draw_strokes(four, 18), classifier, [CanvasStroke(s, 18) for s in four])
number = read_number_strokes([CanvasStroke(s + (x, 0), 12) for x in (0, 250) for s in four], classifier, (560, 280))
print(reading.digit, number.text, classifier.reads_strokes, classifier.lite is not None,
      "tensorflow" in sys.modules, "keras" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["4", "44", "True", "True", "False", "False"]


def test_litert_and_keras_answer_alike(classifier):
    keras_loaded = load_classifier(SHIPPED_MODEL, keras=True)
    assert classifier.lite is not None and keras_loaded.lite is None
    rng = np.random.default_rng(0)
    images, strokes = rng.random((5, 28, 28), np.float32), rng.random((5, 64, 5), np.float32)
    np.testing.assert_allclose(classifier.predict_drawing(images, strokes),
                               keras_loaded.predict_drawing(images, strokes), atol=1e-5)
    np.testing.assert_allclose(classifier.predict_proba(images[:1]), keras_loaded.predict_proba(images[:1]), atol=1e-5)


@pytest.mark.slow  # converts a model to LiteRT: a few seconds
def test_a_model_without_litert_copies_gets_them_at_its_first_load(tmp_path):
    from digit_app.store.model_files import read_lite

    path = save_model(build_model(), tmp_path / "plain.keras", TrainingSummary())
    assert read_lite(path) == ({}, [])
    first = load_classifier(path)
    assert first.lite is None and set(read_lite(path)[0]) == {"pixels"}
    assert load_classifier(path).lite is not None  # the second load needs no TensorFlow


def shipped_copy(folder: Path) -> Path:
    """The shipped model, its metadata and its LiteRT parts, copied into `folder`."""
    for part in SHIPPED_MODEL.parent.glob(f"{SHIPPED_MODEL.stem}.*"):
        shutil.copy(part, folder / part.name)
    return folder / SHIPPED_MODEL.name


def reads_a_clear_four(classifier: Classifier) -> int:
    from digit_app.preprocess import to_mnist
    from tests.strokes import draw_digit

    return int(classifier.predict_proba(to_mnist(draw_digit(4, 50, 40, 190, brush=18)))[0].argmax())


@pytest.mark.slow
def test_a_litert_copy_with_flipped_bits_is_never_run(tmp_path, caplog):
    from digit_app.store.model_files import read_lite

    path = shipped_copy(tmp_path)
    (pixels,) = tmp_path.glob("*.pixels.tflite")
    damaged = bytearray(pixels.read_bytes())
    for at in range(len(damaged) // 3, len(damaged) * 2 // 3, 1021):  # weights' exponents: it loads, and misreads
        damaged[at - at % 4 + 3] ^= 0x40
    pixels.write_bytes(bytes(damaged))
    assert reads_a_clear_four(Classifier(pixel_model=None, path=None, lite={"pixels": bytes(damaged)})) != 4
    assert read_lite(path) == ({"strokes": (tmp_path / pixels.name.replace("pixels", "strokes")).read_bytes()},
                               ["pixels"])
    with caplog.at_level("WARNING"):
        loaded = load_classifier(path)
    assert loaded.lite is None  # the Keras model answers
    assert "does not match the SHA-256" in loaded.notice and loaded.notice in caplog.text
    assert reads_a_clear_four(loaded) == 4
    # the copy is made again, with its digest, so the next load is fast and sound
    assert pixels.read_bytes() != bytes(damaged) and set(read_lite(path)[0]) == {"pixels", "strokes"}
    again = load_classifier(path)
    assert again.lite is not None and again.notice is None and reads_a_clear_four(again) == 4


@pytest.mark.slow
def test_litert_copies_without_digests_are_made_again_and_their_digests_kept(tmp_path):
    from digit_app.store.metadata import LITE_DIGESTS
    from digit_app.store.model_files import read_lite

    path = shipped_copy(tmp_path)
    metadata = json.loads(path.with_suffix(".json").read_text())
    del metadata[LITE_DIGESTS]  # metadata saved before digests were kept
    path.with_suffix(".json").write_text(json.dumps(metadata))
    assert read_lite(path) == ({}, [])  # neither trusted nor called damaged
    first = load_classifier(path)
    assert first.lite is None and first.notice is None
    kept = json.loads(path.with_suffix(".json").read_text())
    assert set(kept[LITE_DIGESTS]) == {"pixels", "strokes"} and kept["temperature"] == metadata["temperature"]
    again = load_classifier(path)
    assert again.lite is not None and reads_a_clear_four(again) == 4
