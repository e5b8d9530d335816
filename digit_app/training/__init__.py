"""Training: the data (MNIST, the shipped pen digits, handwriting styles), the augmentation, and the run.

The settings that travel are importable from here without loading Keras; `fit` holds the run.
"""

from digit_app.training.augment import AugmentConfig
from digit_app.training.config import TrainConfig

__all__ = ["AugmentConfig", "TrainConfig"]
