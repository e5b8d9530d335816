"""Training the pixel CNN: its data (MNIST, retraced and restyled digits), the augmentation, and the run.

The settings that travel (`TrainConfig`, `AugmentConfig`) are imported from here, without loading
Keras; `fit` holds the run. The stroke model and the segment judge learn in `digit_app.strokes`
(`network`, `segments`), from the pen digits kept there; `fit` calls the stroke model's training.
"""

from digit_app.training.augment import AugmentConfig
from digit_app.training.config import TrainConfig

__all__ = ["AugmentConfig", "TrainConfig"]
