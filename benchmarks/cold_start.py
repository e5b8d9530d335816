"""From `streamlit run` to the first answer, the first screen on a warm server, the server's memory and CPU per stroke.

    python benchmarks/cold_start.py [--starts 3] [--strokes 30] [--opens 5] [--database new|kept]
    python benchmarks/cold_start.py --server-only [--starts 5] [--database new|kept]

Chromium is started first (its own start is not the server's). Then, `--starts` times, a fresh
`streamlit run streamlit_app.py` (models in a temporary folder: the shipped model; its database new, made by
the server's start, or with `--database kept` made before it, as at a restart) is timed to:
its health check answering; the Draw page ready to answer (the line naming the model drawn,
loaded as the page loads it); the first answer to a 7 drawn with the mouse. After the first
answer, `--opens` new visitors (each a new browser profile, nothing cached) and then `--opens` new
tabs beside the first one (Streamlit's files in the browser's cache) open the Draw page of that warm
server, each timed inside Chromium from its navigation start to: the page visible (the first
contentful paint: since digit_app/ui/first_screen.py, the page's frame) and the canvas usable (its
drawing surface on screen with its Undo button, the Draw page's script done); with the steps between
(the HTML received and parsed: DOMContentLoaded, which came after Streamlit's scripts had run until its
entry script waited for the first paint; the app mounted, its script running, the title, the canvas'
element and surface) and the files fetched, printed as a breakdown. After those, and
after `--strokes` more strokes (digits drawn and cleared), it prints the server's
resident memory (VmRSS), whether TensorFlow is loaded in it, and the server's CPU time per stroke
(an upper bound on the script's time: it includes the websocket and protocol work).

With `--server-only`, no browser: the server's own CPU time (less swayed by the machine's load than
its seconds) from `streamlit run` to its health check answering, and to its warm-up done (the process
idle for half a second, no visitor).
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


# In the page, polled every frame: milliseconds from navigation start to each step of the first screen, the first
# time it is seen; the whole record once the page is visible (first contentful paint) and the canvas usable (its
# surface laid out, its toolbar's Undo shown at full size, the script run over), null until then.
FIRST_SCREEN = """() => {
  const steps = window.__steps || (window.__steps = {});
  const now = performance.now();
  const mark = (name, seen) => { if (seen && steps[name] === undefined) steps[name] = now; };
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const host = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')].find((h) => h.shadowRoot);
  const surface = host && host.shadowRoot.querySelector("canvas.upper-canvas");
  const undo = host && host.shadowRoot.querySelector('button[aria-label="Undo"]');
  const idle = document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]');
  mark("streamlit mounted", document.querySelector('[data-testid="stApp"]'));
  mark("script running", document.querySelector('[data-testid="stApp"][data-test-script-state="running"]'));
  mark("title drawn", document.querySelector('[data-testid="stHeading"]'));
  mark("canvas element", host);
  mark("canvas surface", surface && surface.getBoundingClientRect().width > 0);
  mark("usable", surface && undo && idle && surface.getBoundingClientRect().width > 0
    && undo.getBoundingClientRect().width >= 44);
  if (!paint || steps.usable === undefined) return null;
  const navigation = performance.getEntriesByType("navigation")[0];
  const scripts = performance.getEntriesByType("resource").filter((r) => r.initiatorType !== "fetch");
  return {...steps, "page visible": paint.startTime, "html received": navigation.responseEnd,
          "document parsed": navigation.domContentLoadedEventEnd,
          "files fetched": scripts.length,
          "kB fetched": scripts.reduce((sum, r) => sum + r.transferSize, 0) / 1000};
}"""
IDLE_CPU = 0.02  # CPU seconds in half a second under which the server counts as idle (its warm-up done)
STEPS = ("html received", "page visible", "document parsed", "streamlit mounted", "script running",
         "title drawn", "canvas element", "canvas surface", "usable", "files fetched", "kB fetched")


def first_screen(context, url: str) -> dict[str, float]:
    """A new tab in `context` opening `url`: milliseconds from its navigation start to each step of the first screen
    (STEPS), and how many files (and kB over the wire) it fetched by then."""
    page = context.new_page()
    page.goto(url, wait_until="commit")
    steps = page.wait_for_function(FIRST_SCREEN, polling="raf", timeout=ANSWER_TIMEOUT_MS).json_value()
    page.close()
    return steps


def new_visitor(browser, url: str) -> dict[str, float]:
    """The first screen in a new browser profile: nothing cached (a first visit)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        return first_screen(context, url)
    finally:
        context.close()


def models_folder(kept_database: bool) -> Path:
    """A new models folder for one start; its database made and migrated here with `kept_database`, as the server's
    first start would have: that start is then a restart."""
    models = Path(tempfile.mkdtemp())
    if kept_database:
        from digit_app.database import Database

        Database(f"sqlite:///{models / 'app.sqlite'}").dispose()
    return models


def server_start(kept_database: bool) -> dict[str, float]:
    """One `streamlit run` with no visitor: seconds and CPU seconds to its health check, CPU seconds to idle."""
    with serve(models_folder(kept_database), MNIST_SAMPLE) as app:
        figures = {"health": app.healthy - app.started, "cpu to health": app.cpu_seconds()}
        last, cpu = -1.0, figures["cpu to health"]
        while cpu - last >= IDLE_CPU:
            last = cpu
            time.sleep(0.5)
            cpu = app.cpu_seconds()
        figures["cpu warmed"] = cpu
        return figures


def one_start(browser, strokes: int, opens: int, kept_database: bool = False) -> dict[str, float]:
    with serve(models_folder(kept_database), MNIST_SAMPLE) as app:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
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
        screens = [new_visitor(browser, app.url) for _ in range(opens)]
        figures["page visible"] = statistics.median(screen["page visible"] for screen in screens) / 1000
        figures["canvas usable"] = statistics.median(screen["usable"] for screen in screens) / 1000
        tabs = [first_screen(page.context, app.url) for _ in range(opens)]  # a new tab beside the first: cached files
        figures["tab visible"] = statistics.median(tab["page visible"] for tab in tabs) / 1000
        figures["tab usable"] = statistics.median(tab["usable"] for tab in tabs) / 1000
        figures["steps"] = {"new visitor": screens, "new tab": tabs}
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
        page.context.close()
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--strokes", type=int, default=30)
    parser.add_argument("--opens", type=int, default=5, help="new tabs timed on each warm server")
    parser.add_argument("--database", choices=("new", "kept"), default="new",
                        help="the server's database made by its start (new), or before it, as at a restart (kept)")
    parser.add_argument("--server-only", action="store_true",
                        help="no browser: the server's CPU time to its health check and to its warm-up done")
    args = parser.parse_args()
    if args.server_only:
        starts = [server_start(args.database == "kept") for _ in range(args.starts)]
        for name in ("health", "cpu to health", "cpu warmed"):
            values = [start[name] for start in starts]
            each = ", ".join(f"{value:.2f}" for value in values)
            print(f"{name:<14} median {statistics.median(values):6.2f} s   (each: {each})")
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        runs = [one_start(browser, args.strokes, args.opens, args.database == "kept") for _ in range(args.starts)]
        browser.close()
    for name, unit in (("health", "s"), ("ready", "s"), ("first answer", "s"), ("page visible", "s"),
                       ("canvas usable", "s"), ("tab visible", "s"), ("tab usable", "s"), ("rss first", "MB"),
                       ("rss after", "MB"), ("cpu ms per stroke", "ms")):
        values = [run[name] for run in runs]
        print(f"{name:<20} median {statistics.median(values):8.2f} {unit}   "
              f"(each: {', '.join(f'{v:.2f}' for v in values)})")
    print(f"TensorFlow loaded in the server: {sum(run['tensorflow'] for run in runs):.0f} of {len(runs)} "
          f"at the first answer, {sum(run['tensorflow after'] for run in runs):.0f} of {len(runs)} after the strokes")
    for kind in ("new visitor", "new tab"):
        print(f"first screen of a {kind} on a warm server, median ms from navigation start (each start's tabs):")
        for step in STEPS:
            print(f"  {step:<26} {statistics.median(tab[step] for run in runs for tab in run['steps'][kind]):8.0f}")
    print("targets (issue 'Instant'): first answer <= 2.5 s from the start; on a warm server, page visible "
          "<= 0.5 s and canvas usable <= 1.5 s (the medians of each start's tabs above)")


if __name__ == "__main__":
    main()
