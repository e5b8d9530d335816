"""Strokes lost in whole-number mode: held-out writers' numbers written with the mouse in Chromium.

    python benchmarks/lost_strokes.py [--numbers 100] [--seed 0] [--rounds right-after,later]

Starts the app on 127.0.0.1 and opens the Draw page (desktop, 1280x800). Round "right after
switching": for each number, "Whole number" is switched off and on again and the number written
the moment its canvas is there. Round "later": "Whole number" switched on once, then each number
written 3 s after the last answer (Clear between numbers). The numbers are 2-5 digits by one of
the 6 held-out writers, their real strokes (tests/handwriting.py). A stroke is lost when the
canvas value the server got last lacks it; it also counts numbers whose canvas was replaced while
written and drags that selected page text instead of drawing. Prints each round's counts.
Target (issue "Instant"): 0 strokes lost in each round.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect  # noqa: E402

from tests.browser import ANSWER_TIMEOUT_MS, answer_of, chromium, serve  # noqa: E402
from tests.handwriting import (  # noqa: E402
    count_strokes_sent, held_out_numbers, mark_surface, same_surface, selected_text, strokes_on_server,
    write_on_canvas)
from tests.paths import MNIST_SAMPLE  # noqa: E402

NUMBER_CANVAS_SHOWN = """() => [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .some((host) => host.shadowRoot && host.shadowRoot.querySelector('canvas.upper-canvas')
                    && host.shadowRoot.querySelector('canvas.upper-canvas').width > 300)"""


def switch(page, on: bool) -> None:
    """Switch "Whole number" on or off; returns as soon as that mode's canvas is on the page."""
    page.get_by_text("Whole number").click()
    heading = "Write a number" if on else "Draw a digit"
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    if on:
        page.wait_for_function(NUMBER_CANVAS_SHOWN, timeout=ANSWER_TIMEOUT_MS)


def clear(page) -> None:
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)


def write_and_count(page, strokes) -> dict[str, int]:
    """Write one number; what was lost of it."""
    mark_surface(page)
    page.evaluate("() => window.getSelection().removeAllRanges()")
    write_on_canvas(page, strokes)
    got = strokes_on_server(page)
    return {"strokes": len(strokes), "lost": max(0, len(strokes) - got), "replaced": int(not same_surface(page)),
            "selected": int(bool(selected_text(page).strip()))}


def run_round(browser, url: str, numbers, right_after: bool) -> dict[str, int]:
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url)
    expect(page.get_by_text("Model:", exact=False).first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    count_strokes_sent(page)
    totals = {"numbers": 0, "strokes": 0, "lost": 0, "replaced": 0, "selected": 0, "numbers losing": 0}
    if not right_after:
        switch(page, True)
    for written, _ in numbers:
        strokes = [stroke for digit in written for stroke in digit]
        if right_after:
            switch(page, True)
        else:
            page.wait_for_timeout(3000)
        counts = write_and_count(page, strokes)
        for name, value in counts.items():
            totals[name] += value
        totals["numbers"] += 1
        totals["numbers losing"] += int(counts["lost"] > 0)
        clear(page)
        if right_after:
            switch(page, False)
    page.context.close()
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", default="right-after,later", help="which rounds, comma separated")
    args = parser.parse_args()
    rounds = {"right-after": ("right after switching", True), "later": ("later", False)}
    chosen = [rounds[name] for name in args.rounds.split(",")]
    numbers = held_out_numbers(args.numbers, args.seed)
    with serve(Path(tempfile.mkdtemp()), MNIST_SAMPLE) as app, chromium() as browser:
        for name, right_after in chosen:
            started = time.monotonic()
            totals = run_round(browser, app.url, numbers, right_after)
            print(f"{name:<22} {totals['lost']} of {totals['strokes']} strokes lost "
                  f"({totals['numbers losing']} of {totals['numbers']} numbers); canvas replaced while writing: "
                  f"{totals['replaced']}; drags that selected page text: {totals['selected']} "
                  f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
