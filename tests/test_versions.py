"""Model versions: save, list, activate, delete, and fall back to the shipped model."""

from __future__ import annotations

import pytest

from digit_app import versions
from digit_app.model import SHIPPED_MODEL, build_model, load_classifier


def test_without_versions_the_shipped_model_is_active(models):
    assert versions.active_version_id() == versions.SHIPPED
    assert versions.active_model_path() == SHIPPED_MODEL
    assert [v.id for v in versions.list_versions()] == [versions.SHIPPED]


def test_save_activate_and_delete(models):
    first = versions.save_version(build_model(), {"test_accuracy": 0.5})
    second = versions.save_version(build_model(), {"test_accuracy": 0.6})
    assert first.id != second.id
    assert versions.active_version_id() == versions.SHIPPED  # a new version is not used until activated
    versions.activate(first.id)
    assert versions.active_model_path() == first.path
    assert load_classifier().path == first.path
    versions.delete(first.id)  # deleting the active version returns to the shipped model
    assert versions.active_version_id() == versions.SHIPPED
    assert [v.id for v in versions.list_versions()] == [versions.SHIPPED, second.id]
    assert sorted(p.name for p in (models / "versions").iterdir()) == [f"{second.id}.json", f"{second.id}.keras"]


def test_the_shipped_model_cannot_be_deleted(models):
    with pytest.raises(ValueError, match="shipped"):
        versions.delete(versions.SHIPPED)
    assert SHIPPED_MODEL.is_file()


def test_unknown_version_is_a_clear_error(models):
    with pytest.raises(KeyError, match="no model version 'nope'"):
        versions.activate("nope")


@pytest.mark.parametrize("pointer", ["{not json", '{"version": "v-gone"}', "[]", ""])
def test_a_broken_or_dangling_pointer_falls_back_to_shipped(models, pointer):
    (models / "active.json").write_text(pointer)
    assert versions.active_version_id() == versions.SHIPPED
    assert load_classifier().path == SHIPPED_MODEL
