"""Between the strokes of a digit: wrong answers shown as sure, drawing held-out writers' digits stroke by stroke.

    python benchmarks/between_strokes.py [--digits 60] [--singles 30] [--pauses 250,450,1000]

Starts the app on 127.0.0.1 and, in Chromium (desktop 1280x800, mouse), draws the held-out writers'
digits written in two strokes or more (tests/handwriting.py), pausing after every stroke but the
last for each of `--pauses` ms. A frame watcher in the page notes, during each pause, whether the
answer is shown as sure (not marked as still being written, its confidence shown, no "Not sure")
while it names another digit than the one being written: such a digit counts once. Then it draws
one-stroke digits of the same writers and times, from the pen lifting, the digit shown and the
answer shown as sure. Target (issue "Instant"): no wrong answer shown as sure between strokes,
without slowing a one-stroke digit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect  # noqa: E402

from tests.browser import ANSWER_TIMEOUT_MS, answer_of, chromium, serve  # noqa: E402
from tests.handwriting import held_out_digits, write_stroke  # noqa: E402
from tests.paths import MNIST_SAMPLE  # noqa: E402

# In the page, every frame: what the answer shows. `__watch.label` is the digit being written; while
# `__watch.between` is set (a pause after a non-final stroke), a sure answer naming another digit is noted.
# `__watch.up` is the last pen-up; `shown` and `sure` the first moments after it the label shows, and as sure.
WATCHER = """
() => {
  if (window.__watch) return;
  const watch = window.__watch = { label: null, between: false, sureWrong: false, up: 0, shown: null, sure: null };
  const look = () => {
    const answer = document.querySelector(".st-key-answer");
    const value = answer && answer.querySelector('[data-testid="answerValue"]');
    if (value) {
      const confidence = answer.querySelector('[data-testid="answerConfidence"]');
      const note = answer.querySelector('[data-testid="answerNote"]');
      const text = value.innerText.trim();
      const unsure = note && getComputedStyle(note).visibility === "visible" && note.innerText.startsWith("Not sure");
      const sure = text !== "—" && !answer.classList.contains("dc-writing")
        && answer.getAttribute("aria-busy") !== "true" && confidence
        && getComputedStyle(confidence).visibility === "visible" && !unsure;
      if (watch.between && sure && text !== String(watch.label)) watch.sureWrong = text;
      const now = performance.now() - watch.up;
      if (!watch.between && watch.up && text === String(watch.label)) {
        if (watch.shown === null) watch.shown = now;
        if (sure && watch.sure === null) watch.sure = now;
      }
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}
"""


def clear(page) -> None:
    page.get_by_role("button", name="Clear", exact=True).click()
    expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(200)


def between_round(page, digits, pause_ms: int) -> tuple[list[str], int]:
    """(each digit shown sure and wrong between its strokes, as "meant->shown"; digits drawn) at one pause length."""
    wrong = []
    for strokes, label in digits:
        page.evaluate(f"() => Object.assign(window.__watch, {{label: {label}, between: false, sureWrong: false}})")
        for index, stroke in enumerate(strokes):
            last = index == len(strokes) - 1
            write_stroke(page, stroke, before_up=None if last else
                         (lambda p: p.evaluate("() => { window.__watch.between = true; }")))
            if not last:
                page.wait_for_timeout(pause_ms)
                page.evaluate("() => { window.__watch.between = false; }")
        shown = page.evaluate("() => window.__watch.sureWrong")
        if shown:
            wrong.append(f"{label}->{shown}")
        page.wait_for_timeout(700)  # the finished digit answered, before Clear
        clear(page)
    return wrong, len(digits)


def singles_round(page, digits) -> tuple[list[float], list[float]]:
    """Milliseconds from pen-up to a one-stroke digit shown, and shown as sure (those read right)."""
    shown, sure = [], []
    for (stroke,), label in digits:
        page.evaluate(f"() => Object.assign(window.__watch, {{label: {label}, between: false, up: 0, shown: null,"
                      " sure: null})")
        write_stroke(page, stroke, before_up=lambda p: p.evaluate(
            "() => { window.__watch.up = performance.now() + 1; }"))  # the pen-up follows at once
        page.wait_for_timeout(1500)
        first, confident = page.evaluate("() => [window.__watch.shown, window.__watch.sure]")
        if first is not None:
            shown.append(first)
        if confident is not None:
            sure.append(confident)
        clear(page)
    return shown, sure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=60)
    parser.add_argument("--singles", type=int, default=30)
    parser.add_argument("--pauses", default="250,450,1000", help="ms between strokes, comma separated")
    args = parser.parse_args()
    multi = held_out_digits(args.digits, seed=0, strokes=2)
    singles = held_out_digits(args.singles, seed=1, strokes=1)
    with serve(Path(tempfile.mkdtemp()), MNIST_SAMPLE) as app, chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(app.url)
        expect(answer_of(page)).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
        page.evaluate(WATCHER)
        for pause in (int(p) for p in args.pauses.split(",")):
            wrong, drawn = between_round(page, multi, pause)
            print(f"pause {pause:>5} ms between strokes: {len(wrong)} of {drawn} multi-stroke digits shown sure and "
                  f"wrong after a non-final stroke {' '.join(wrong)}")
        shown, sure = singles_round(page, singles)
        print(f"one-stroke digits ({len(singles)}): pen-up -> digit shown median {statistics.median(shown):.0f} ms "
              f"({len(shown)} read right); -> shown sure median {statistics.median(sure):.0f} ms ({len(sure)}; "
              f"{sum(ms > 1000 for ms in sure)} after more than 1 s)")


if __name__ == "__main__":
    main()
