"""Training the pixel CNN: its data (MNIST, retraced and restyled digits), how it is varied, and the run.

The settings that travel (`TrainConfig`, `Variations`; `TrainRequest` in `config`) are imported
without loading Keras; `fit` holds the run and `run` the recipe that trains and keeps a model. The
stroke model and the segment judge learn in `digit_app.strokes` (`network`, `segments`), from the
pen digits kept there; `fit` calls the stroke model's training.
"""

from digit_app.training.augment import Variations
from digit_app.training.config import TrainConfig

__all__ = ["TrainConfig", "Variations"]
