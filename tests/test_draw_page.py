"""The Draw page, driven through Streamlit's AppTest: empty state, a drawing, clearing."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from digit_app.ui.answer import ANSWER_ID, CONFIDENCE_ID, MODEL_ID, NOTE_ID, answer_text, hooked, why_svg
from tests.canvas_values import NUMBER_CANVAS_KEY, seed
from tests.pages import open_page
from tests.strokes import DIGITS, digit_strokes

pytestmark = pytest.mark.apptest


def number_strokes(digits: list[int], gap: float, size: float = 90) -> list[list[tuple[float, float]]]:
    """Digits written left to right on the number canvas, `gap` pixels apart, as strokes."""
    strokes, left = [], 20.0
    for digit in digits:
        strokes += [[(left + x * size * 0.7, 50 + y * size) for x, y in stroke] for stroke in DIGITS[digit]]
        left += size * 0.7 + gap
    return strokes


def html(at: AppTest, starting: str) -> list[str]:
    """The bodies of the page's st.html elements that start with `starting` (an <img, a <figure...)."""
    return [element.proto.body for element in at.get("html") if element.proto.body.startswith(starting)]


def shown(at: AppTest) -> dict[str, str]:
    """What the page's one answer panel shows, by hook: its answer, confidence, note and model line."""
    (panel,) = [hooked(element.proto.body) for element in at.get("html")
                if answer_text(element.proto.body) is not None]
    return panel


def answer(at: AppTest) -> str:
    return shown(at)[ANSWER_ID]


def confidence(at: AppTest) -> str | None:
    return shown(at).get(CONFIDENCE_ID)


def note(at: AppTest) -> str:
    return shown(at)[NOTE_ID]


def alt_texts(at: AppTest) -> list[str]:
    return [alt for body in html(at, "") for alt in re.findall(r'<img [^>]*alt="([^"]*)"', body)]


def test_empty_canvas_shows_no_digit():
    at = open_page()
    assert not at.exception
    assert answer(at) == "—"
    assert confidence(at) is None  # no confidence, no numbers at all
    assert note(at).startswith("Nothing drawn yet")
    # the parts below keep their place: empty bars, a blank input; no correction box before there is an answer
    assert "Probability of each digit: 0: 0%" in html(at, "<section")[0]
    assert alt_texts(at) == ["Nothing drawn yet"]
    assert not [b for b in at.button if b.label == "Save the correction"] and not at.get("button_group")


def test_a_drawing_is_read_and_shown_with_its_confidence():
    at = open_page(run=False)
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()
    assert not at.exception
    assert answer(at) == "7"
    assert confidence(at).endswith("%") and int(confidence(at).rstrip("%")) >= 60
    # one piece of HTML: the ten probabilities (a figure with a spoken summary) and the input the model saw
    assert html(at, "<section")[0].count('<figure role="img" aria-label="Probability of each digit') == 1
    assert alt_texts(at) == ["The drawing as the model saw it, read as 7"]


def test_two_digits_get_a_reason_and_no_guess():
    at = open_page(run=False)
    seed(at, digit_strokes(1, 20, 70, 110) + digit_strokes(2, 150, 70, 110), brush=12)
    at.run()
    assert not at.exception
    assert answer(at) == "—" and confidence(at) is None
    assert "2 digits" in note(at)
    assert "0: 0%" in html(at, "<section")[0]  # no probabilities shown


def test_clear_removes_the_answer():
    at = open_page(run=False)
    seed(at, digit_strokes(1, 100, 40, 190), brush=20)
    at.run()
    assert answer(at) == "1"
    next(b for b in at.button if b.label == "Clear").click()
    at.run()
    assert answer(at) == "—"


def test_an_unsure_reading_says_which_digits_it_could_be(classifier):
    """Blends of two digits, drawn over each other: the page must flag the first one the model doubts."""
    from digit_app.prediction import read_digit
    from digit_app.render import draw_strokes
    from digit_app.strokes.canvas import CanvasStroke

    candidates = [digit_strokes(first, 60, 40, 180) + digit_strokes(second, 60, 40, 180)
                  for first, second in ((1, 7), (0, 2), (2, 4), (7, 4), (0, 4), (1, 4))]
    unsure = [(strokes, r) for strokes in candidates
              if (r := read_digit(draw_strokes(strokes, 16), classifier, [CanvasStroke(s, 16) for s in strokes]))
              is not None and not r.is_sure]
    assert unsure, "none of the blends left the model unsure"
    strokes, reading = unsure[0]
    at = open_page(run=False)
    seed(at, strokes, brush=16)
    at.run()
    assert answer(at) == str(reading.digit)
    assert note(at) == f"Not sure: it could be {reading.digit} or {reading.runner_up}."


def test_a_broken_active_model_falls_back_to_the_shipped_one_and_keeps_reading(models):
    from digit_app.store.versions import SHIPPED_MODEL

    (models / "versions").mkdir()
    (models / "versions" / "v1.keras").write_bytes(SHIPPED_MODEL.read_bytes()[:5000])  # cut off mid-write
    (models / "active.json").write_text('{"version": "v1"}')
    at = open_page(run=False)
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and "v1.keras" in at.warning[0].value and "shipped model" in at.warning[0].value
    assert str(models) not in at.warning[0].value  # a visitor sees the file's name, not the server's folders
    assert answer(at) == "7"
    assert shown(at)[MODEL_ID].startswith("Model: shipped")


def test_whole_number_mode_reads_every_digit_and_shows_each_one():
    at = open_page()
    at.toggle(key="whole_number").set_value(True).run()
    assert answer(at) == "—"
    seed(at, number_strokes([2, 0, 4, 7], gap=30), brush=12, key=NUMBER_CANVAS_KEY)
    at.run()
    assert not at.exception
    assert answer(at) == "2047"
    assert confidence(at) is not None
    assert at.title[0].value == "Write a number"
    # each digit as the model saw it, every image inline (nothing to fetch later), with alt text
    assert [alt for alt in alt_texts(at) if "digit, read as" in alt] == [
        "1st digit, read as 2", "2nd digit, read as 0", "3rd digit, read as 4", "4th digit, read as 7"]


def test_whole_number_mode_reads_touching_digits_by_their_strokes():
    at = open_page()
    at.toggle(key="whole_number").set_value(True).run()
    # a 2 whose base runs under the 3 that touches it, then a 7: the canvas' strokes tell them apart
    strokes = [s for digit, left in ((2, 20), (3, 95), (7, 180)) for s in digit_strokes(digit, left, 50, 100)]
    seed(at, strokes, brush=14, key=NUMBER_CANVAS_KEY)
    at.run()
    assert not at.exception
    assert answer(at) == "237"
    alts = alt_texts(at)
    assert "The writing split into 3 digits: 2, 3, 7" in alts  # boxes drawn over the writing
    assert len([alt for alt in alts if "digit, read as" in alt]) == 3


def test_a_correction_is_saved_with_the_input_the_model_saw():
    from digit_app.database import CorrectionsTable, open_database

    at = open_page(run=False)
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()
    save = next(b for b in at.button if b.label == "Save the correction")
    assert save.disabled  # nothing chosen yet
    at.get("button_group")[0].set_value(1).run()  # "Wrong? It is a" 1
    next(b for b in at.button if b.label == "Save the correction").click().run()
    assert not at.exception
    assert "Saved as a 1" in at.success[0].value
    saved = CorrectionsTable(open_database()).list()
    assert [(c.label, c.predicted) for c in saved] == [(1, 7)]
    next(b for b in at.button if b.label == "Save the correction").click().run()  # clicked again
    assert "Already saved as a 1" in at.info[0].value
    assert len(CorrectionsTable(open_database()).list()) == 1
    assert saved[0].image.shape == (28, 28) and saved[0].image.max() > 200


def test_why_this_answer_colours_the_strokes_that_decided_it():
    at = open_page(run=False)
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()
    assert not html(at, '<figure class="dc-why"')  # on request only: it costs a batch through the model
    at.toggle(key="explain").set_value(True).run()
    assert not at.exception
    (why,) = html(at, '<figure class="dc-why"')
    assert 'alt="Your strokes coloured: red where they made it a 7, blue where they looked like a' in why
    svg = why_svg(why)
    colours = {tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in re.findall(r'stroke="(#[0-9a-f]{6})"', svg)}
    assert len(colours) >= 3  # the colour changes along the strokes
    assert any(r > 180 and r > g + 60 and r > b + 60 for r, g, b in colours)  # and some of the 7 made it a 7
    assert "<polyline" in svg and "image/png" not in why  # the person's strokes, not a picture of 28x28 pixels


def test_one_digit_of_a_number_is_corrected_and_saved():
    from digit_app.database import CorrectionsTable, open_database

    at = open_page()
    at.toggle(key="whole_number").set_value(True).run()
    seed(at, number_strokes([2, 0, 4, 7], gap=30), brush=12, key=NUMBER_CANVAS_KEY)
    at.run()
    assert answer(at) == "2047"
    at.selectbox[0].set_value(2).run()  # the 3rd digit, read as 4 ...
    at.get("button_group")[0].set_value(9).run()  # ... is a 9
    next(b for b in at.button if b.label == "Save the correction").click().run()
    assert not at.exception and "Saved as a 9" in at.success[0].value
    saved = CorrectionsTable(open_database()).list()
    assert [(c.label, c.predicted) for c in saved] == [(9, 4)]


def keep_version(version_id: str, **summary) -> None:
    """A version made of the shipped model's files, in the configured database, as training elsewhere adds one."""
    from digit_app.database import VersionsTable, open_database
    from digit_app.store.metadata import read_summary
    from digit_app.store.model_files import read_lite
    from digit_app.store.versions import SHIPPED_MODEL

    files = {"keras": SHIPPED_MODEL.read_bytes(), **read_lite(SHIPPED_MODEL)[0]}
    VersionsTable(open_database()).add(version_id, read_summary(SHIPPED_MODEL).with_changes(**summary), files)


@pytest.mark.slow
def test_a_model_switched_elsewhere_is_named_at_the_next_answer(models):
    from digit_app.database import registry

    at = open_page(run=False)
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()
    assert not at.toast
    keep_version("v2-cafe")
    registry.activate("v2-cafe")  # on the Retrain page, in another session (or on another replica)
    at.run()
    assert "v2-cafe" in at.toast[0].value


@pytest.mark.slow
def test_a_model_calibrated_while_the_page_is_open_answers_with_its_new_confidence(models):
    from digit_app.database import registry

    keep_version("v3-beef", temperature=1.0)
    registry.activate("v3-beef")
    at = open_page(run=False)
    seed(at, digit_strokes(1, 100, 40, 200), brush=30)
    at.run()
    before = int(confidence(at).rstrip("%"))
    registry.update_summary("v3-beef", temperature=3.0)  # `python -m digit_app calibrate`, say, on another machine
    at.run()
    assert answer(at) == "1" and int(confidence(at).rstrip("%")) < before


def test_a_damaged_model_file_in_the_database_is_named_in_one_sentence_and_the_page_reads_on(models):
    from digit_app.database import open_database, registry
    from digit_app.database.schema import model_files

    keep_version("v4-dead")
    registry.activate("v4-dead")
    with open_database().write() as connection:
        connection.execute(model_files.update().values(content=b"x"))
    at = open_page(run=False)
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()
    assert not at.exception and answer(at) == "7"
    assert len(at.warning) == 1 and at.warning[0].value.startswith("The active model v4-dead cannot be fetched")
    assert "damaged" in at.warning[0].value and "shipped model is in use" in at.warning[0].value
    assert str(models) not in at.warning[0].value


@pytest.mark.slow
@pytest.mark.parametrize("whole_number", [False, True])
def test_no_crafted_canvas_value_stops_the_page(whole_number):
    """Each value a client of its own could send gets a sentence or an answer, never an error."""
    import json

    from tests.canvas_values import DIGIT_CANVAS_KEY, hostile_values

    for name, text in hostile_values().items():
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            continue  # never reaches the page: the server drops it (test_streamlit_patches.py)
        at = open_page(run=False)
        at.session_state["whole_number"] = whole_number
        at.session_state[NUMBER_CANVAS_KEY if whole_number else DIGIT_CANVAS_KEY] = value
        at.run()
        assert not at.exception and not at.error, name
        assert answer(at) in ("—", "7"), name
        if answer(at) == "—":
            assert "canvas" in note(at) or note(at).startswith("Nothing"), name


def test_the_whole_number_switch_keeps_the_drawing_and_reads_it_in_the_other_mode():
    at = open_page(run=False)
    seed(at, digit_strokes(7, 50, 40, 190), brush=20)
    at.run()
    assert answer(at) == "7"
    at.toggle(key="whole_number").set_value(True).run()
    assert not at.exception
    assert at.title[0].value == "Write a number" and answer(at) == "7"  # the same 7, as a number
    at.toggle(key="whole_number").set_value(False).run()
    assert answer(at) == "7"
    next(b for b in at.button if b.label == "Clear").click().run()
    assert answer(at) == "—"


def test_undo_reaches_the_strokes_carried_to_the_other_canvas():
    """The canvas' own Undo stops at the drawing it started with: the page's hidden button (the helper
    presses it for Undo) takes the carried strokes back, last first, and is gone when none is left; its
    hidden Redo puts them back, first undone last."""
    at = open_page(run=False)
    seed(at, digit_strokes(4, 50, 40, 190), brush=20)
    at.run()
    assert answer(at) == "4"
    at.toggle(key="whole_number").set_value(True).run()
    assert answer(at) == "4"
    assert not [b for b in at.button if b.label == "Undo a carried stroke"][0].disabled
    at.button(key="undo-carried").click().run()
    assert not at.exception and answer(at) not in ("4", "—")  # the down stroke alone
    at.button(key="undo-carried").click().run()
    assert answer(at) == "—"
    assert not [b for b in at.button if b.label == "Undo a carried stroke"]
    at.button(key="redo-carried").click().run()  # the helper presses it for Redo: the down stroke is back
    assert not at.exception and answer(at) not in ("4", "—")
    at.button(key="redo-carried").click().run()
    assert answer(at) == "4" and not [b for b in at.button if b.label == "Redo a carried stroke"]
