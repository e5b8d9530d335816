"""Held-out writers' real strokes written with the mouse on the Draw page, and what reached the server of them.

Shared by the browser tests of lost work (tests/test_browser_hand.py) and `benchmarks/lost_strokes.py`.
A stroke is lost when the server's last canvas value lacks it: the canvas was replaced (remounted) while
the pen was down, or the drag went to the page under it instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from digit_app.sizes import CANVAS_SIZE, NUMBER_CANVAS
from digit_app.strokes.on_canvas import draw_like_canvas
from digit_app.strokes.pen_digits import PenDigits, load_pen_digits
from digit_app.strokes.pen_numbers import write_number
from tests.browser import ANSWER_TIMEOUT_MS, largest

CanvasStrokes = list[np.ndarray]  # (k, 2) points in the canvas' own pixels, in drawing order

# Installed in the page: for every message to the server, how many freehand paths its canvas value holds
# (the canvas' JSON travels as text inside the binary message); and the surface drawn on, to see it replaced.
COUNTER = """
() => {
  if (window.__paths) return;
  window.__paths = { sent: [] };
  const send = WebSocket.prototype.send;
  const decoder = new TextDecoder("utf-8");
  WebSocket.prototype.send = function (data) {
    try {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      const text = typeof bytes === "string" ? bytes : decoder.decode(bytes);
      if (text.includes('"objects"')) window.__paths.sent.push((text.match(/"type":\\s*"path"/gi) || []).length);
    } catch (error) { /* not a message this counts */ }
    return send.call(this, data);
  };
}
"""
SURFACE = """() => [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((host) => host.shadowRoot && host.shadowRoot.querySelector('canvas.upper-canvas')).find((c) => c)"""
MARK_SURFACE = f"() => {{ const c = ({SURFACE})(); if (c) c.__marked = true; return !!c; }}"
SAME_SURFACE = f"() => {{ const c = ({SURFACE})(); return !!(c && c.__marked && c.isConnected); }}"


def held_out_numbers(count: int, seed: int = 0,
                     pen: PenDigits | None = None) -> list[tuple[list[CanvasStrokes], str]]:
    """`count` numbers of 2-5 digits, each by one held-out writer, in the number canvas' pixels: per digit its
    strokes."""
    pen = (pen or load_pen_digits()).held_out()
    rng = np.random.default_rng(seed)
    numbers = []
    for _ in range(count):
        writer = rng.choice(np.unique(pen.writers))
        mine = np.flatnonzero(pen.writers == writer)
        chosen = rng.choice(mine, min(len(mine), int(rng.integers(2, 6))), replace=False)
        written = write_number([pen.strokes[i] for i in chosen], rng)
        numbers.append((written, "".join(str(pen.labels[i]) for i in chosen)))
    return numbers


def held_out_digits(count: int, seed: int = 0, strokes: int = 2,
                    pen: PenDigits | None = None) -> list[tuple[CanvasStrokes, int]]:
    """`count` digits of the held-out writers written in `strokes` strokes or more, on the digit canvas' pixels."""
    pen = (pen or load_pen_digits()).held_out()
    rng = np.random.default_rng(seed)
    chosen = [i for i in range(len(pen)) if len(pen.strokes[i]) >= strokes]
    if strokes == 1:
        chosen = [i for i in chosen if len(pen.strokes[i]) == 1]
    picked = rng.choice(chosen, min(count, len(chosen)), replace=False)
    return [(draw_like_canvas(pen.strokes[i], rng)[1], int(pen.labels[i])) for i in picked]


def write_on_canvas(page, strokes: Sequence[np.ndarray], size: tuple[int, int] = NUMBER_CANVAS,
                    step: int = 3) -> None:
    """Write `strokes` (canvas pixels) with the mouse on the page's largest canvas, scaled to its shown size."""
    for stroke in strokes:
        write_stroke(page, stroke, size, step)


def write_stroke(page, stroke: np.ndarray, size: tuple[int, int] = (CANVAS_SIZE, CANVAS_SIZE), step: int = 3,
                 before_up=None) -> None:
    """One stroke with the mouse; `before_up(page)`, if given, runs while the pen is still down at its end."""
    box = largest([c.bounding_box() for c in page.locator("canvas").all() if c.is_visible()])
    scale_x, scale_y = box["width"] / size[0], box["height"] / size[1]
    points = [(float(box["x"] + x * scale_x), float(box["y"] + y * scale_y)) for x, y in [*stroke[::step], stroke[-1]]]
    page.mouse.move(*points[0])
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point)
    if before_up is not None:
        before_up(page)
    page.mouse.up()


def count_strokes_sent(page) -> None:
    """From now on, note how many strokes each canvas value sent to the server holds."""
    page.evaluate(COUNTER)


@contextmanager
def counted_draw_page(browser, url: str) -> Iterator:
    """A desktop tab (1280x800) on the Draw page, once the model is shown, counting the strokes it sends."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url)
    page.get_by_text("Model:", exact=False).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    count_strokes_sent(page)
    try:
        yield page
    finally:
        page.context.close()


def strokes_on_server(page, settle_ms: int = 400) -> int:
    """The strokes in the last canvas value sent, once the page has been quiet for `settle_ms`."""
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=ANSWER_TIMEOUT_MS)
    sent = page.evaluate("() => window.__paths.sent")
    return sent[-1] if sent else 0


def mark_surface(page) -> bool:
    """Mark the drawing surface shown now; `same_surface` says later whether it is still the one shown."""
    return page.evaluate(MARK_SURFACE)


def same_surface(page) -> bool:
    return page.evaluate(SAME_SURFACE)


def selected_text(page) -> str:
    """Text of the page a drag selected (a drag meant for the canvas that went to the page under it)."""
    return page.evaluate("() => String(window.getSelection())")
