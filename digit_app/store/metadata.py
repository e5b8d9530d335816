"""What is kept beside a model: the training summary (a typed record, saved as JSON) and how it is read back.

A model's `.json` file says how it was made and how well it reads: the data, the settings, test
accuracy, the held-out writers' accuracy, the calibration, what it was compared with. Written by
training (`digit_app.training.run`), read by the loader, the pages and the command line, always
through `TrainingSummary`: an entry of the wrong kind in a file (hand-edited, damaged) is left
out as it is read, so every reader can rely on what it finds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from digit_app.store.files import atomic_write, read_plain

METADATA_BYTES = 1_000_000  # a metadata file larger than this is not ours: it is not read
LITE_PARTS = ("pixels", "strokes")  # the LiteRT copies a model may have
LITE_DIGESTS = "lite_sha256"  # the metadata entry holding each LiteRT part's SHA-256, by part
SHA256 = re.compile(r"[0-9a-f]{64}")
NEW_MODEL, MODEL_IN_USE = "new model", "model in use"  # the names of the corrections' two figures, as saved


def metadata_path(model_path: Path) -> Path:
    """Where a model's metadata JSON lives: beside it, same name, `.json`."""
    return Path(model_path).with_suffix(".json")


@dataclass(frozen=True)
class CorrectionsAccuracy:
    """How well the new model and the one in use read a person's corrections (None: the one in use could not)."""

    new_model: float
    model_in_use: float | None = None

    def to_json(self) -> dict[str, float | None]:
        return {NEW_MODEL: self.new_model, MODEL_IN_USE: self.model_in_use}

    @classmethod
    def from_json(cls, value: Any) -> CorrectionsAccuracy | None:
        """The figures saved by `to_json`; None when they are not two shares (or a share and nothing)."""
        if not isinstance(value, dict) or not _is_share(value.get(NEW_MODEL)):
            return None
        in_use = value.get(MODEL_IN_USE)
        return cls(float(value[NEW_MODEL]), float(in_use) if _is_share(in_use) else None)


@dataclass(frozen=True)
class TrainingSummary:
    """How a model was made and how well it reads: the record saved beside it, the report a training job gives."""

    data: dict[str, Any] = field(default_factory=dict)  # what it learnt from (`TrainingData.describe`)
    training: dict[str, Any] = field(default_factory=dict)  # the settings (`TrainConfig.to_dict`), or an average's
    test_accuracy: float | None = None
    confusion_matrix: list[list[int]] = field(default_factory=list)  # row = true digit, column = predicted
    train_seconds: float | None = None
    images_per_second: float | None = None
    train_images: int | None = None
    history: list[dict[str, float]] = field(default_factory=list)  # per epoch: loss, accuracy, ...
    held_out_writers: dict[str, float] = field(default_factory=dict)  # "pixels", "strokes", "drawing" -> accuracy
    temperature: float | None = None  # the calibration (`digit_app.calibration`)
    compared_with: str | None = None  # the version in use when training started: what the report compares with
    corrections_accuracy: CorrectionsAccuracy | None = None
    saved_at: str | None = None
    tensorflow_version: str | None = None
    keras_version: str | None = None
    parameters: int | None = None
    lite_sha256: dict[str, str] = field(default_factory=dict)  # each LiteRT part's SHA-256, by part
    extra: dict[str, Any] = field(default_factory=dict)  # entries of other names, kept as they were

    @property
    def reads_strokes(self) -> bool:
        """True when the model was measured on strokes too: it is a reader with a stroke model."""
        return "strokes" in self.held_out_writers

    @property
    def drawing_accuracy(self) -> float | None:
        """Accuracy on the held-out writers' drawings as the Draw page reads them (None if not measured)."""
        return self.held_out_writers.get("drawing")

    def to_json(self) -> dict[str, Any]:
        """JSON-ready entries, named as they are saved; what is unknown (None) or empty is left out."""
        record: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "extra" or value is None or value == {} or value == []:
                continue
            record[item.name] = value.to_json() if isinstance(value, CorrectionsAccuracy) else value
        return {**self.extra, **record}

    @classmethod
    def from_json(cls, data: Any) -> TrainingSummary:
        """A summary from saved entries, each of the kind it should be or left out; accuracies lie in [0, 1]."""
        if not isinstance(data, dict):
            return cls()
        known = {item.name for item in fields(cls)} - {"extra"}
        values: dict[str, Any] = {name: value for name, value in data.items()
                                  if name in known and _is_kind(value, KINDS[name])}
        if "test_accuracy" in values and not _is_share(values["test_accuracy"]):
            del values["test_accuracy"]
        if "held_out_writers" in values:
            values["held_out_writers"] = {name: value for name, value in values["held_out_writers"].items()
                                          if _is_share(value)}
        if LITE_DIGESTS in values:
            values[LITE_DIGESTS] = {part: value for part, value in values[LITE_DIGESTS].items()
                                    if part in LITE_PARTS and isinstance(value, str) and SHA256.fullmatch(value)}
        values["corrections_accuracy"] = CorrectionsAccuracy.from_json(data.get("corrections_accuracy"))
        return cls(**values, extra={name: value for name, value in data.items() if name not in known})

    def with_changes(self, **changes: Any) -> TrainingSummary:
        """This summary with some entries set (a new temperature, the versions a save adds)."""
        return replace(self, **changes)


# What each saved entry must be; one of another kind is dropped as it is read.
KINDS: dict[str, type | tuple[type, ...]] = {
    "data": dict, "training": dict, "test_accuracy": (int, float), "confusion_matrix": list,
    "train_seconds": (int, float), "images_per_second": (int, float), "train_images": int, "history": list,
    "held_out_writers": dict, "temperature": (int, float), "compared_with": str, "corrections_accuracy": dict,
    "saved_at": str, "tensorflow_version": str, "keras_version": str, "parameters": int, LITE_DIGESTS: dict,
}


def _is_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _is_share(value: Any) -> bool:
    """A number from 0 to 1 (never a bool)."""
    return _is_kind(value, (int, float)) and 0.0 <= value <= 1.0


def read_summary(model_path: Path) -> TrainingSummary:
    """The summary saved beside a model, checked: empty if there is none or it cannot be read."""
    return TrainingSummary.from_json(saved_record(model_path) or {})


def saved_record(model_path: Path) -> dict[str, Any] | None:
    """The metadata file as written ({} when there is none); None when one is there but cannot be read
    (a FIFO, a device, too large, not JSON), so that it is never written over by a mere load."""
    try:
        data = json.loads(read_plain(metadata_path(model_path), METADATA_BYTES))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def json_writer(record: dict[str, Any]) -> Any:
    """Writes a model's metadata the one way it is written: indented JSON, one trailing newline."""
    return lambda tmp: tmp.write_text(json.dumps(record, indent=2) + "\n")


def write_summary(model_path: Path, summary: TrainingSummary) -> None:
    """Replace the metadata beside a model with `summary`, written whole or not at all (OSError if it cannot be)."""
    atomic_write(metadata_path(model_path), json_writer(summary.to_json()))
