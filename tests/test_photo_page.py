"""The Photo page through AppTest: an upload is read as a number; a bad file gets a reason."""

from __future__ import annotations

import pytest

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
    digits = [html.proto.body for html in at.get("html") if 'alt="digit' in html.proto.body]
    assert len(digits) == 4 and 'alt="digit 2, read as 4"' in digits[1]  # each digit inline, with alt text


def test_a_file_that_is_not_an_image_is_refused_with_a_reason():
    at = open_page(PHOTO)
    at.file_uploader[0].upload("page.png", b"this is not a picture", "image/png").run()
    assert not at.exception
    assert at.metric[0].value == "—"
    assert "not an image" in at.error[0].value
