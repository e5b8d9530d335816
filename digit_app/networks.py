"""The networks: the pixel CNN, the reader that joins it with the stroke model, and averages of models.

Plain Keras model definitions (built here, trained in `digit_app.training.fit` and
`digit_app.strokes.network`); loading and running a saved one is `digit_app.model`. A reader for
drawings joins the pixel CNN with the stroke model in one Keras model, `digit_reader`, whose
answer is the mean of the two; `reader_parts` takes it apart again.
"""

from __future__ import annotations

from typing import Any

from digit_app.errors import SettingsError
from digit_app.sizes import INPUT_SHAPE, NUM_CLASSES
from digit_app.strokes.features import STROKE_FEATURES, STROKE_POINTS

STROKE_SHAPE = (STROKE_POINTS, STROKE_FEATURES)
PIXEL_PART, STROKE_PART = "digit_cnn", "stroke_cnn"  # the layer names of a reader's two models
FIRST_FILTERS = 32  # 24 trains 1.4x faster on CPU but cost 0.2-0.4% MNIST accuracy in two 40-60 epoch runs
DENSE_UNITS = 128
BN_MOMENTUM = 0.9  # batch-norm statistics settle within a few dozen steps, even in a short run


def build_model(width: int = 1) -> Any:
    """The CNN: three 3x3 conv layers with batch norm, two poolings, a small dense head.

    Lean on purpose (~5.5M multiply-adds per digit at width 1): it answers in well under a
    millisecond on a CPU and trains at about a thousand digits a second on two cores. `width`
    multiplies every layer's filters and units.
    """
    import keras
    from keras import layers

    def conv(x: Any, filters: int) -> Any:
        x = layers.Conv2D(filters, 3, use_bias=False)(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        return layers.Activation("relu")(x)

    inputs = keras.Input(shape=INPUT_SHAPE, name="digit")
    x = conv(inputs, FIRST_FILTERS * width)  # 26x26
    x = layers.MaxPooling2D()(x)  # 13x13
    x = conv(x, 64 * width)  # 11x11
    x = conv(x, 64 * width)  # 9x9
    x = layers.MaxPooling2D()(x)  # 4x4
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(DENSE_UNITS * width, use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=PIXEL_PART)


def build_reader(pixel_model: Any, stroke_model: Any) -> Any:
    """One model for drawings: pixels and strokes in, the mean of both models' probabilities out."""
    import keras
    from keras import layers

    digit = keras.Input(shape=INPUT_SHAPE, name="digit")
    strokes = keras.Input(shape=STROKE_SHAPE, name="strokes")
    pixels_part = keras.Model(pixel_model.inputs[0], pixel_model.outputs[0], name=PIXEL_PART)
    strokes_part = keras.Model(stroke_model.inputs[0], stroke_model.outputs[0], name=STROKE_PART)
    outputs = layers.Average(name="probabilities")([pixels_part(digit), strokes_part(strokes)])
    return keras.Model([digit, strokes], outputs, name="digit_reader")


def reader_parts(model: Any) -> tuple[Any, Any | None]:
    """(pixel CNN, stroke model or None) of a saved model: a reader has both, a plain CNN only pixels."""
    names = {layer.name for layer in model.layers}
    if len(model.inputs) == 2 and {PIXEL_PART, STROKE_PART} <= names:
        return model.get_layer(PIXEL_PART), model.get_layer(STROKE_PART)
    return model, None


def average_models(models: list[Any], shape: tuple[int, ...] = INPUT_SHAPE) -> Any:
    """One model whose answer is the mean of the models' probabilities (pixel CNNs, or stroke models with STROKE_SHAPE).

    Models trained on different mixes of digits make different mistakes, and their average makes
    fewer than either. The members are kept whole inside, so the result saves, loads in safe mode
    and answers like any single model.
    """
    import keras
    from keras import layers

    if len(models) < 2:
        raise SettingsError(f"Averaging needs at least two models, got {len(models)}.")
    inputs = keras.Input(shape=shape, name="digit" if shape == INPUT_SHAPE else "strokes")
    answers = [keras.Model(model.inputs[0], model.outputs[0], name=f"member_{index}")(inputs)
               for index, model in enumerate(models, start=1)]
    outputs = layers.Average(name="probabilities")(answers)
    return keras.Model(inputs, outputs, name="digit_cnn_average")
