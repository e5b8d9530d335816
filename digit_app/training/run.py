"""Train a model and keep it: the one recipe the training worker (the Retrain page) and `python -m digit_app train` run.

Load the data (with a person's corrections if asked), train, measure, and keep the model as a new
version in the models folder the request names (or as exactly the file it names): progress and
cancellation go through the callbacks `train` takes. Nothing is kept from a cancelled run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from digit_app.database import DatabaseError, corrections_table, open_database
from digit_app.database import registry as versions
from digit_app.model import ModelLoadError, lite_parts, load_classifier
from digit_app.store.corrections import CorrectionsError
from digit_app.store.metadata import CorrectionsAccuracy, TrainingSummary
from digit_app.store.model_files import save_model
from digit_app.store.versions import check_writable
from digit_app.training.config import TrainRequest
from digit_app.training.data import TrainingData, load_training_data
from digit_app.training.fit import Cancelled, ProgressFn, TrainReport, evaluate, train
from digit_app.training.stopwatch import Stopwatch


@dataclass(frozen=True)
class KeptModel:
    """A trained model as kept: where, its summary, and the run's report on the data it learnt from."""

    path: Path
    version_id: str | None  # None when written to a file of the request's choosing (`save_as`)
    summary: TrainingSummary
    report: TrainReport
    data: TrainingData
    phases: dict[str, float] = field(default_factory=dict)  # seconds of each phase, loading to keeping
    phases_cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds of each phase

    def misread(self, count: int) -> list[tuple[np.ndarray, int, int]]:
        """Up to `count` test digits it read wrong: (image, true digit, digit read)."""
        wrong = self.report.evaluation.misclassified[:count]
        return [(self.data.x_test[i], int(self.data.y_test[i]), int(self.report.evaluation.predictions[i]))
                for i in wrong]


def train_and_keep(request: TrainRequest, progress: ProgressFn | None = None,
                   should_stop: Callable[[], bool] | None = None) -> KeptModel:
    """Run `request` to the end: data, training, the summary, the model kept; `Cancelled` when stopped first.

    With corrections, the summary says how well the new model and the one in use when training
    started read them; `compared_with` names that model.
    """
    tell = progress or (lambda event: None)
    stopped = should_stop or (lambda: False)
    watch = Stopwatch()
    in_use_at_start = versions.active_version_id(folder=request.models_dir)
    with watch.phase("data loaded"):
        data = load_training_data(request.source)
        corrections = _corrections(request)
        if corrections is not None:
            data = data.with_corrections(*corrections, request.corrections.repeat)
    tell({"phase": "loaded", "source": data.source, "train_images": len(data.x_train),
          "epochs": request.config.epochs})
    if stopped():
        raise Cancelled("cancelled before training started")
    model, report = train(data, request.config, progress=progress, should_stop=should_stop)
    if stopped():
        raise Cancelled("cancelled after training")
    watch.seconds.update(report.phases)
    watch.cpu.update(report.phases_cpu)
    with watch.phase("evaluation: corrections"):
        on_corrections = _on_corrections(model, corrections, in_use_at_start, request.models_dir)
    tell({"phase": "saving"})
    summary = report.summary(data.describe(), request.config.to_dict()).with_changes(
        compared_with=in_use_at_start, corrections_accuracy=on_corrections)
    path, version_id = keep_model(model, summary, request.models_dir, request.save_as, request.activate, watch,
                                  report.lite or None)
    return KeptModel(path, version_id, summary, report, data, watch.rounded(), watch.cpu_rounded())


def _corrections(request: TrainRequest) -> tuple[np.ndarray, np.ndarray] | None:
    """The accepted corrections to add (images, labels) from the database (the corrections file the request names
    taken in first, if it is still there), or None when none were asked for."""
    if request.corrections is None:
        return None
    table = corrections_table(open_database(), request.corrections.path)
    images, labels = table.arrays()
    if not len(images):
        raise CorrectionsError(f"There are no accepted corrections in {table.database.describe()} to add.")
    return images, labels


def _on_corrections(model: Any, corrections: tuple[np.ndarray, np.ndarray] | None, in_use: str,
                    folder: Path | None) -> CorrectionsAccuracy | None:
    """How well the new model and the one in use read the corrections (None without corrections)."""
    if corrections is None:
        return None
    try:
        before = evaluate(load_classifier(versions.model_file(in_use, folder=folder)), *corrections).accuracy
    except (ModelLoadError, KeyError, DatabaseError):  # broken (the page says so), deleted meanwhile, out of reach
        before = None
    return CorrectionsAccuracy(evaluate(model, *corrections).accuracy, before)


def keep_model(model: Any, summary: TrainingSummary, models_dir: Path | None = None, save_as: Path | None = None,
               activate: bool = False, watch: Stopwatch | None = None,
               lite: dict[str, bytes] | None = None) -> tuple[Path, str | None]:
    """Save a model with its summary and LiteRT copies (`lite`, made here when not given): as exactly `save_as`, or
    as a new version (activated if asked); (its file, its version id or None). `watch` times the steps."""
    watch = watch or Stopwatch()
    if lite is None:
        with watch.phase("saving: LiteRT conversion"):
            lite = lite_parts(model)  # the drawing path's LiteRT copies, saved with the model
    if save_as is not None:
        with watch.phase("saving: Keras file"):
            return save_model(model, save_as, summary, lite), None
    with watch.phase("saving: Keras file and database"):
        version = versions.save_version(model, summary, lite, folder=models_dir)  # into the database, whole
        if activate:
            versions.activate(version.id, folder=models_dir)
    with watch.phase("saving: this machine's copy"):
        return versions.model_file(version.id, folder=models_dir), version.id


def check_destination(models_dir: Path | None, save_as: Path | None) -> None:
    """Refuse, before the work that would be lost, a database that cannot be reached (`DatabaseError`) or a models
    folder this machine cannot keep its copy in (`ModelStoreError`); a `save_as` file is the caller's to check."""
    if save_as is None:
        versions.check_database()  # a wrong URL is found now, not after an hour of training
        check_writable(models_dir)
