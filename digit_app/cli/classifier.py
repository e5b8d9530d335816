"""The model a command reads with: the file `--model` names, or the active version, with what went wrong on stderr."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digit_app.model import Classifier


def load_chosen(path: str | None) -> Classifier:
    """The model at `path` (the active one when None); what went wrong loading it, if anything, on stderr."""
    from digit_app.database.registry import active_model
    from digit_app.model import load_classifier

    if path is None:  # the database's active version, copied here by digest; or the shipped model, and why
        active = active_model()
        if active.problem:
            print(f"warning: {active.problem}", file=sys.stderr)
        path = str(active.path)
    classifier = load_classifier(path)
    if classifier.notice:
        print(f"warning: {classifier.notice}", file=sys.stderr)
    return classifier
