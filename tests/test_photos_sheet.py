"""The sheet in a photo: found at its corners on a table, straightened upright; none in a photo of paper only."""

from __future__ import annotations

import numpy as np
import pytest

from digit_app.images import load_image
from digit_app.photos.sheet import find_sheet, homography, straighten
from tests import photo_scenes as scenes

CLOSE = 3.0  # px: the corners are found this close to where the sheet lies (the photo is 900x1200)


@pytest.mark.parametrize("angle, keystone, shadow", [(0.0, 0.0, 0.0), (-8.0, 0.0, 0.0), (6.0, 0.08, 0.0),
                                                     (10.0, 0.05, 0.35)])
def test_the_sheet_is_found_at_its_corners(angle, keystone, shadow):
    where = scenes.corners(angle, keystone)
    photo = load_image(scenes.jpeg(scenes.on_table(scenes.sheet([[2, 0, 4, 7]], ruled=40), where, shadow=shadow)))
    found = find_sheet(photo)
    assert found is not None
    assert np.abs(found - where).max() < CLOSE  # in order: top left, top right, bottom right, bottom left


def test_the_straightened_sheet_is_upright_and_whole():
    upright = scenes.sheet([[7, 1]])
    where = scenes.corners(angle=-7.0, keystone=0.06)
    straight = straighten(scenes.on_table(upright, where), find_sheet(scenes.on_table(upright, where)))
    height, width = upright.shape[:2]
    assert abs(straight.shape[1] / straight.shape[0] - width / height) < 0.03
    grey = straight.mean(axis=2)[2:-2, 2:-2] / 255.0  # the outermost pixels blend the sheet's edge with the table
    rows = np.flatnonzero((grey < 0.5).any(axis=1)) + 2  # the ink
    columns = np.flatnonzero((grey < 0.5).any(axis=0)) + 2
    expected_rows = np.flatnonzero((upright.mean(axis=2) < 0.5).any(axis=1)) * straight.shape[0] / height
    assert abs(rows[0] - expected_rows[0]) < 4 and abs(rows[-1] - expected_rows[-1]) < 4  # level, where it was
    assert grey[:, : columns[0] - 8].min() > 0.8 and grey[: rows[0] - 8].min() > 0.8  # no table left at its edges


def test_a_photo_of_paper_only_has_no_sheet_to_find():
    assert find_sheet(scenes.close_up([[3, 1, 4]], ruled=45, angle=5)) is None


def test_a_sheet_cut_by_the_photos_edge_is_not_taken_for_a_whole_one():
    where = scenes.corners(angle=4.0, centre=(0.25, 0.5))  # its left side lies off the photo
    assert find_sheet(scenes.on_table(scenes.sheet([[5]]), where)) is None


def test_a_table_with_nothing_on_it_has_no_sheet():
    assert find_sheet((scenes.table() * 255).astype(np.uint8)) is None


def test_homography_maps_the_four_corners():
    source = np.array([[0, 0], [10, 0], [10, 20], [0, 20]], float)
    target = np.array([[3, 4], [40, 2], [44, 60], [1, 55]], float)
    matrix = homography(source, target)
    mapped = np.c_[source, np.ones(4)] @ matrix.T
    assert np.allclose(mapped[:, :2] / mapped[:, 2:], target)
