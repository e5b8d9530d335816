"""From `streamlit run` to the first answer, the first screen on a warm server, the server's memory and CPU per stroke.

    python benchmarks/cold_start.py [--starts 3] [--strokes 30] [--opens 5]

Chromium is started first (its own start is not the server's). Then, `--starts` times, a fresh
`streamlit run streamlit_app.py` (models in a temporary folder: the shipped model) is timed to:
its health check answering; the Draw page ready to answer (the line naming the model drawn,
loaded as the page loads it); the first answer to a 7 drawn with the mouse. After the first
answer, `--opens` new tabs open the Draw page of that warm server, each timed inside Chromium from
its navigation start to: the page visible (the first contentful paint) and the canvas usable (its
drawing surface on screen with its Undo button, the Draw page's script done). After those, and
after `--strokes` more strokes (digits drawn and cleared), it prints the server's
resident memory (VmRSS), whether TensorFlow is loaded in it, and the server's CPU time per stroke
(an upper bound on the script's time: it includes the websocket and protocol work).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from tests.browser import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, answer_of, mouse_draw, serve  # noqa: E402
from tests.paths import MNIST_SAMPLE  # noqa: E402
from tests.strokes import DIGITS  # noqa: E402


# In the page, polled every frame: milliseconds from navigation start to the first contentful paint, and to the
# canvas usable (its surface laid out, its toolbar's Undo shown, the script run over); null until then.
FIRST_SCREEN = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const host = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')].find((h) => h.shadowRoot);
  const surface = host && host.shadowRoot.querySelector("canvas.upper-canvas");
  const undo = host && host.shadowRoot.querySelector('button[aria-label="Undo"]');
  const idle = document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]');
  const usable = surface && undo && idle && surface.getBoundingClientRect().width > 0
    && undo.getBoundingClientRect().width >= 44;
  if (usable && window.__usable === undefined) window.__usable = performance.now();
  return paint && window.__usable !== undefined ? [paint.startTime, window.__usable] : null;
}"""


def first_screen(browser, url: str) -> tuple[float, float]:
    """Seconds from a new tab's navigation start to the page visible, and to the canvas usable."""
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    page.goto(url, wait_until="commit")
    visible, usable = page.wait_for_function(FIRST_SCREEN, polling="raf", timeout=ANSWER_TIMEOUT_MS).json_value()
    page.context.close()
    return visible / 1000, usable / 1000


def one_start(browser, strokes: int, opens: int) -> dict[str, float]:
    with serve(Path(tempfile.mkdtemp()), MNIST_SAMPLE) as app:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(app.url)
        expect(page.get_by_text("Model:", exact=False).first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        ready = time.monotonic()
        answer = answer_of(page)
        mouse_draw(page, DIGITS[7])
        expect(answer).to_have_text("7", timeout=ANSWER_TIMEOUT_MS)
        first = time.monotonic()
        figures = {"health": app.healthy - app.started, "ready": ready - app.started,
                   "first answer": first - app.started, "rss first": app.rss_mb(),
                   "tensorflow": float(app.has_loaded("libtensorflow"))}
        screens = [first_screen(browser, app.url) for _ in range(opens)]
        figures["page visible"] = statistics.median(visible for visible, _ in screens)
        figures["canvas usable"] = statistics.median(usable for _, usable in screens)
        cpu, done = app.cpu_seconds(), 0
        while done < strokes:
            page.get_by_role("button", name="Clear").click()
            expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
            for digit in (4, 7):
                for stroke in DIGITS[digit]:
                    mouse_draw(page, [stroke])
                    done += 1
                    page.wait_for_timeout(400)  # each stroke answered before the next, as a person draws
                expect(answer).to_have_text(str(digit), timeout=ANSWER_TIMEOUT_MS)
                page.get_by_role("button", name="Clear").click()
                expect(answer).to_have_text("—", timeout=ANSWER_TIMEOUT_MS)
        figures["cpu ms per stroke"] = (app.cpu_seconds() - cpu) * 1000 / done
        figures["rss after"] = app.rss_mb()
        figures["tensorflow after"] = float(app.has_loaded("libtensorflow"))
        page.close()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--strokes", type=int, default=30)
    parser.add_argument("--opens", type=int, default=5, help="new tabs timed on each warm server")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        runs = [one_start(browser, args.strokes, args.opens) for _ in range(args.starts)]
        browser.close()
    for name, unit in (("health", "s"), ("ready", "s"), ("first answer", "s"), ("page visible", "s"),
                       ("canvas usable", "s"), ("rss first", "MB"),
                       ("rss after", "MB"), ("cpu ms per stroke", "ms")):
        values = [run[name] for run in runs]
        print(f"{name:<20} median {statistics.median(values):8.2f} {unit}   "
              f"(each: {', '.join(f'{v:.2f}' for v in values)})")
    print(f"TensorFlow loaded in the server: {sum(run['tensorflow'] for run in runs):.0f} of {len(runs)} "
          f"at the first answer, {sum(run['tensorflow after'] for run in runs):.0f} of {len(runs)} after the strokes")
    print("targets (issue 'Instant'): first answer <= 2.5 s from the start; on a warm server, page visible "
          "<= 0.5 s and canvas usable <= 1.5 s (the medians of each start's tabs above)")


if __name__ == "__main__":
    main()
