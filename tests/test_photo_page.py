"""The Photo page through AppTest: an upload is read as a number (line by line, the sheet shown marked); a blank
page and a bad file get a sentence; the camera is offered."""

from __future__ import annotations

import pytest

from tests import photo_scenes as scenes
from tests.pages import open_page
from tests.test_photo import as_file, paper_photo

pytestmark = pytest.mark.apptest

PHOTO = "digit_app/ui/photo.py"


def test_before_an_upload_there_is_no_number():
    at = open_page(PHOTO)
    assert not at.exception
    assert at.metric[0].label == "Prediction" and at.metric[0].value == "—"


def test_an_uploaded_photo_is_read_and_its_ink_shown():
    at = open_page(PHOTO)
    at.file_uploader[0].upload("page.jpg", as_file(paper_photo([7, 4, 1, 0], seed=2)), "image/jpeg").run()
    assert not at.exception and not at.error
    assert at.metric[0].value == "7410"
    captions = [image.proto.imgs[0].caption for image in at.get("image")]
    assert "Your photo" in captions and any(c.startswith("The ink it found") for c in captions)
    (row,) = [html.proto.body for html in at.get("html") if 'alt="digit' in html.proto.body]
    assert row.count("<img") == 4 and 'alt="digit 2, read as 4"' in row  # the digits inline in one row, alt text
    assert "display:flex" in row and "flex-wrap" in row


def test_a_file_that_is_not_an_image_is_refused_with_a_reason():
    at = open_page(PHOTO)
    at.file_uploader[0].upload("page.png", b"this is not a picture", "image/png").run()
    assert not at.exception
    assert at.metric[0].value == "—"
    assert "not an image" in at.error[0].value


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
    (row,) = [html.proto.body for html in at.get("html") if 'alt="digit' in html.proto.body]
    assert row.count("<img") == 4 and 'alt="digit 3, read as 4"' in row
    assert "sure" in at.metric[0].delta


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
