"""Files a command writes, checked before any work: their folder there and writable, their name free or a plain
file's (a FIFO, a device or a folder is never replaced)."""

from __future__ import annotations

import os
from pathlib import Path

from digit_app.errors import SettingsError


def check_writable_file(target: Path) -> None:
    """Refuse (SettingsError, OSError) an output file whose folder is missing or read-only, or that is no plain file."""
    from digit_app.store.files import check_target

    if not target.parent.is_dir():
        raise SettingsError(f"There is no folder {target.parent} to write {target.name} in.")
    check_target(target)  # a FIFO, a device or a folder is never replaced
    if not os.access(target.parent, os.W_OK):
        raise SettingsError(f"Cannot write {target.name} in {target.parent}: the folder is read-only.")


def check_save_as(save_as: str) -> None:
    """Refuse a --save-as path that cannot be written."""
    target = os.path.abspath(save_as)
    if not target.endswith(".keras"):
        raise SettingsError(f"--save-as {save_as}: a model file's name ends in .keras.")
    check_writable_file(Path(target))
