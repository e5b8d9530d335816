"""From `streamlit run` to the first answer, the server's memory, and its CPU per stroke.

    python benchmarks/cold_start.py [--starts 3] [--strokes 30]

Chromium is started first (its own start is not the server's). Then, `--starts` times, a fresh
`streamlit run streamlit_app.py` (models in a temporary folder: the shipped model) is timed to:
its health check answering; the Draw page ready to answer (the line naming the model drawn,
loaded as the page loads it); the first answer to a 7 drawn with the mouse. After the first
answer, and after `--strokes` more strokes (digits drawn and cleared), it prints the server's
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


def one_start(browser, strokes: int) -> dict[str, float]:
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
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        runs = [one_start(browser, args.strokes) for _ in range(args.starts)]
        browser.close()
    for name, unit in (("health", "s"), ("ready", "s"), ("first answer", "s"), ("rss first", "MB"),
                       ("rss after", "MB"), ("cpu ms per stroke", "ms")):
        values = [run[name] for run in runs]
        print(f"{name:<20} median {statistics.median(values):8.2f} {unit}   "
              f"(each: {', '.join(f'{v:.2f}' for v in values)})")
    print(f"TensorFlow loaded in the server: {sum(run['tensorflow'] for run in runs):.0f} of {len(runs)} "
          f"at the first answer, {sum(run['tensorflow after'] for run in runs):.0f} of {len(runs)} after the strokes")


if __name__ == "__main__":
    main()
