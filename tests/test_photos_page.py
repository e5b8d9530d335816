"""The Photo page through AppTest with photos of sheets: the number read, the sheet shown marked, a blank page said so."""

from __future__ import annotations

import pytest

from tests import photo_scenes as scenes
from tests.pages import open_page

pytestmark = pytest.mark.apptest

PHOTO = "digit_app/ui/photo.py"


def upload(photo) -> object:
    """The Photo page after uploading `photo` as a JPEG."""
    at = open_page(PHOTO)
    at.file_uploader[0].upload("sheet.jpg", scenes.jpeg(photo), "image/jpeg").run()
    assert not at.exception and not at.error
    return at


def test_a_sheet_lying_askew_on_a_table_is_read_and_shown_marked():
    at = upload(scenes.on_table(scenes.sheet([[2, 0, 4, 7]], ruled=40), scenes.corners(angle=7, keystone=0.06)))
    assert at.metric[0].label == "Prediction" and at.metric[0].value == "2047"
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert captions[0].startswith("The sheet as it was read")  # first, right under the number
    digits = [html.proto.body for html in at.get("html") if 'alt="digit' in html.proto.body]
    assert len(digits) == 4 and 'alt="digit 3, read as 4"' in digits[2]


def test_two_lines_are_read_top_to_bottom():
    at = upload(scenes.close_up([[7, 1, 0], [4, 5]], angle=-6))
    assert at.metric[0].value == "710, 45"
    assert any('alt="line 2, digit 1, read as 4"' in html.proto.body for html in at.get("html"))


def test_a_blank_page_says_no_digits_were_found():
    at = upload(scenes.on_table(scenes.sheet([], ruled=40), scenes.corners(angle=-4)))
    assert at.metric[0].value == "—"
    assert [info.value for info in at.info] == ["No digits found in this photo."]


def test_the_camera_is_offered_beside_the_upload():
    at = open_page(PHOTO)
    assert not at.exception and not at.get("camera_input")
    at.toggle[0].set_value(True).run()
    assert len(at.get("camera_input")) == 1
