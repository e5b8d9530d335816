"""Training settings and requests: what travels from the page or the command line to the worker and the metadata.

Nothing here loads Keras, so the pages and the job runner can build and check settings cheaply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from digit_app.errors import SettingsError
from digit_app.training.augment import Variations


STROKE_EPOCHS_PER_EPOCH = 1.5  # the stroke model's epochs for each of the pixel CNN's, unless chosen apart (20 -> 30)


def default_stroke_epochs(epochs: int) -> int:
    """The stroke model's epochs for a run of `epochs` pixel CNN epochs: in proportion, so a short run stays short."""
    return max(1, min(500, round(epochs * STROKE_EPOCHS_PER_EPOCH)))


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how a model is trained; saved in the model's metadata."""

    epochs: int = 20
    batch_size: int = 128
    learning_rate: float = 3e-3
    validation_split: float = 0.05
    seed: int = 0
    augment: Variations = field(default_factory=Variations)
    drawn: bool = True  # learn from the shipped pen digits too: in the pixel CNN, and a stroke model beside it
    stroke_epochs: int = 30  # epochs of the stroke model (seconds each)
    width: int = 1  # the pixel CNN's filters and units are multiplied by this

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 500:
            raise SettingsError(f"epochs must be between 1 and 500, got {self.epochs}")
        if not 1 <= self.batch_size <= 4096:
            raise SettingsError(f"batch size must be between 1 and 4096, got {self.batch_size}")
        if not 0.0 < self.learning_rate <= 1.0:
            raise SettingsError(f"learning rate must be above 0 and at most 1, got {self.learning_rate}")
        if not 0.0 <= self.validation_split < 0.5:
            raise SettingsError(f"validation split must be from 0 to below 0.5, got {self.validation_split}")
        if not 1 <= self.stroke_epochs <= 500:
            raise SettingsError(f"stroke epochs must be between 1 and 500, got {self.stroke_epochs}")
        if not 1 <= self.width <= 8:
            raise SettingsError(f"width must be between 1 and 8, got {self.width}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """The inverse of `to_dict` (settings sent to a worker process or read from metadata)."""
        return cls(**{**values, "augment": Variations(**values.get("augment", {}))})


@dataclass(frozen=True)
class CorrectionsToAdd:
    """A person's saved corrections to join the training data: the corrections file, and how often each is repeated."""

    path: Path
    repeat: int


@dataclass(frozen=True)
class TrainRequest:
    """One training run to do and where to keep its model: what the Retrain page and `train` ask of the recipe."""

    source: str  # "mnist" (Keras) or a local .npz
    config: TrainConfig = field(default_factory=TrainConfig)
    corrections: CorrectionsToAdd | None = None
    models_dir: Path | None = None  # the models folder to keep the version in (None: the settings')
    save_as: Path | None = None  # write exactly this .keras file instead of a new version
    activate: bool = False  # make the new version the one the app uses

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, for the worker process' stdin."""
        corrections = self.corrections
        return {"source": self.source, "config": self.config.to_dict(),
                "corrections": {"path": str(corrections.path), "repeat": corrections.repeat} if corrections else None,
                "models_dir": str(self.models_dir) if self.models_dir else None,
                "save_as": str(self.save_as) if self.save_as else None, "activate": self.activate}

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> TrainRequest:
        """The inverse of `to_json`."""
        corrections = values.get("corrections")
        return cls(source=values["source"], config=TrainConfig.from_dict(values["config"]),
                   corrections=CorrectionsToAdd(Path(corrections["path"]), int(corrections["repeat"]))
                   if corrections else None,
                   models_dir=Path(values["models_dir"]) if values.get("models_dir") else None,
                   save_as=Path(values["save_as"]) if values.get("save_as") else None,
                   activate=bool(values.get("activate")))
