"""Average trained models into one reader (an ensemble), measure it and keep it: the recipe `combine` runs.

Models trained on different mixes of digits make different mistakes, and their average makes fewer
(`networks.average_models`). Their stroke models are averaged too when every member has one. The
average is measured as a trained model is (MNIST test accuracy, temperature, held-out writers) and
kept the same way (`run.keep_model`): a new version, or exactly the file `save_as` names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digit_app.store.metadata import TrainingSummary


@dataclass(frozen=True)
class Combined:
    """An average as kept: where, its summary, and its test accuracy beside each member's on the same digits."""

    path: Path
    version_id: str | None  # None when written to exactly the file asked for (`save_as`)
    summary: TrainingSummary
    test_accuracy: float  # as measured; the summary keeps it rounded
    test_images: int
    members_accuracy: tuple[float, ...]


def combine_and_keep(models: Sequence[str | Path], source: str = "mnist", models_dir: Path | None = None,
                     save_as: Path | None = None, activate: bool = False) -> Combined:
    """Average the model files into one reader, measure it on `source`'s test digits, and keep it (`save_as`, else a
    new version in `models_dir`, activated if asked); a destination that cannot take it is refused first."""
    from digit_app.model import Classifier, load_classifier
    from digit_app.networks import STROKE_SHAPE, average_models, build_reader
    from digit_app.training.data import load_training_data
    from digit_app.training.fit import evaluate, held_out_accuracy, training_temperature
    from digit_app.training.run import check_destination, keep_model

    check_destination(models_dir, save_as)
    members = [load_classifier(path, keras=True) for path in models]
    model = average_models([member.pixel_model for member in members])
    strokes = (average_models([member.stroke_model for member in members], STROKE_SHAPE)
               if all(member.reads_strokes for member in members) else None)
    reader = Classifier(pixel_model=model, path=None, fast_single=False, stroke_model=strokes)
    data = load_training_data(source)
    evaluation = evaluate(reader, data.x_test, data.y_test)
    summary = TrainingSummary(
        data=members[0].summary.data or data.describe(),
        training={"average_of": [{"file": member.path.name, **_brief(member.metadata)} for member in members]},
        test_accuracy=round(evaluation.accuracy, 4), confusion_matrix=evaluation.confusion.tolist(),
        temperature=round(training_temperature(reader, data), 4))
    if strokes is not None:
        summary = summary.with_changes(held_out_writers=held_out_accuracy(reader))
        model = build_reader(model, strokes)
    alone = tuple(evaluate(member, data.x_test, data.y_test).accuracy for member in members)
    path, version_id = keep_model(model, summary, models_dir, save_as, activate)
    return Combined(path, version_id, summary, evaluation.accuracy, len(data.x_test), alone)


def _brief(metadata: dict[str, Any]) -> dict[str, Any]:
    """A model's metadata without its per-epoch history and confusion matrix."""
    return {key: value for key, value in metadata.items() if key not in ("history", "confusion_matrix")}
