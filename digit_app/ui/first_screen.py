"""The first screen: the HTML page a browser asks for first, Streamlit's own with the page's frame drawn into it (on
screen at once, while Streamlit's JavaScript loads; React replaces it) and, on the Draw page, hints that fetch at once
the scripts the page will ask for only after its first run (its widgets' code and the canvas' bundle).

Served by streamlit_app.py's `st.App` for the pages' own paths; every other path stays Streamlit's.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = '<div id="root"></div>'
TITLE = re.compile(r"<title>[^<]*</title>")
APP_TITLE = "Digit reader"  # the tab's title, as streamlit_app.py's set_page_config sets it once Streamlit runs
# Streamlit's stylesheet: in the head it holds back every paint until it has loaded; after the root element it
# holds back only what follows it (nothing), and Streamlit's scripts still wait for it before they run.
STYLESHEET = re.compile(r'\s*<link rel="stylesheet" crossorigin href="\./static/css/[\w.\-]+\.css">')
# A static import in one of Streamlit's bundled chunks: import{a as b}from"./Name.hash.js" or import"./Name.hash.js"
STATIC_IMPORT = re.compile(r'(?:from|import)\s*"\./([\w.\-]+\.js)"')
# Streamlit's entry script, run once the frame is painted (`after_first_paint`), not as soon as the page is parsed.
ENTRY = re.compile(r'<script type="module" crossorigin src="(\./static/js/index\.[\w\-]+\.js)"></script>')
PRELOADED = re.compile(r'rel="modulepreload"[^>]*href="\./static/js/([\w.\-]+\.js)"')
# The Streamlit elements the Draw page shows in its first run (toggle, slider, buttons, component, HTML).
DRAW_ELEMENTS = ("Checkbox", "Slider", "Button", "BidiComponent", "Html")
CANVAS_PACKAGE = "streamlit_drawable_canvas"
CANVAS_COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"

# The frame's look, where Streamlit will draw the same things (measured in Chromium, 1rem = 16 px): its sidebar (300 px,
# over 768 px wide), its centred column (46rem, 6rem from the top), the title's box (Streamlit's h1: 2.75rem, line
# 1.2, 1.25rem above and 1rem below), "Loading" where the "Whole number" toggle will be (24 px), and the canvas' black
# box with its 3:1 edge (ui/page.css) where the canvas will be: under the caption (one line of 477 px, two in a
# column narrower than that: under 509 px wide without the sidebar, under 809 px with it), the brush and the room for
# the canvas' toolbar; 280 px square, or as wide as its column (half the column less a 2rem gap, from 640 px wide)
# when that is narrower. The app's colours, light and dark; system fonts (Streamlit's is not loaded yet), wider than
# Streamlit's: the title is kept on one line in Streamlit's line height, smaller on a phone under 420 px wide.
STYLE = """<style>
body { margin: 0; background: #fff; }
.dr-shell { display: flex; min-height: 100vh; font-family: system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #2f2d2b; }
.dr-side { box-sizing: border-box; flex: 0 0 300px; background: #f8f8f7; border-right: 1px solid #e6e4e1; }
.dr-frame { box-sizing: border-box; flex: 1 1 auto; min-width: 0; max-width: 46rem; margin: 0 auto;
  padding: 6rem 1rem 2rem; }
.dr-frame h1 { font-size: min(2.75rem, 10.5vw); line-height: 3.3rem; font-weight: 700; margin: 0;
  padding: 1.25rem 0 1rem; white-space: nowrap; overflow: hidden; }
.dr-frame p { font-size: 1rem; line-height: 1.5rem; margin: 0; }
.dr-canvas { width: 280px; max-width: 100%; aspect-ratio: 1; background: #000; outline: 2px solid #8a8a8a;
  margin-top: 12.75rem; }
@media (max-width: 768px) { .dr-side { display: none; } }
@media (min-width: 640px) { .dr-canvas { max-width: calc((100% - 2rem) / 2); } }
@media (max-width: 508px), (min-width: 769px) and (max-width: 808px) { .dr-canvas { margin-top: 14.125rem; } }
@media (prefers-color-scheme: dark) {
  body { background: #171614; } .dr-shell { color: #edebe8; }
  .dr-side { background: #211f1d; border-color: #2f2d2a; }
}
</style>"""


@dataclass(frozen=True)
class Frame:
    """What a page shows before Streamlit has drawn it: its title, a line saying it is loading, the canvas' box."""

    title: str
    loading: str
    canvas: bool = False


# The pages by their path (streamlit_app.py's navigation: the Draw page is the default, at "/").
FRAMES = {
    "": Frame("Draw a digit", "Loading the canvas…", canvas=True),
    "draw": Frame("Draw a digit", "Loading the canvas…", canvas=True),
    "photo": Frame("Read a photo", "Loading the page…"),
    "corrections": Frame("Corrections", "Loading the page…"),
    "retrain": Frame("Retrain", "Loading the page…"),
}


def frame_html(frame: Frame) -> str:
    """The frame's HTML: a heading, a status line (announced), the canvas' box when the page has one."""
    box = '<div class="dr-canvas" aria-hidden="true"></div>' if frame.canvas else ""
    return (f'<div class="dr-shell"><div class="dr-side" aria-hidden="true"></div><div class="dr-frame">'
            f'<h1>{html.escape(frame.title)}</h1><p role="status">{html.escape(frame.loading)}</p>{box}</div></div>')


def element_chunks(js_dir: Path, elements: Sequence[str], index_html: str) -> list[str]:
    """The file names of the chunks that Streamlit loads for `elements` (each chunk and what it imports, over and
    over), leaving out those the index page already preloads; [] for an element this Streamlit does not have."""
    preloaded = set(PRELOADED.findall(index_html))
    wanted: list[str] = []
    pending = [path.name for element in elements for path in sorted(js_dir.glob(f"{element}.*.js"))
               if re.fullmatch(rf"{re.escape(element)}\.[\w\-]+\.js", path.name)]
    while pending:
        name = pending.pop(0)
        if name in wanted or name in preloaded or not (js_dir / name).is_file():
            continue
        wanted.append(name)
        pending += STATIC_IMPORT.findall((js_dir / name).read_text(encoding="utf-8", errors="replace"))
    return [name for name in wanted if not name.startswith("index.")]


def preload_tags(chunks: Iterable[str], component_files: Iterable[str] = ()) -> str:
    """<link> tags fetching Streamlit's `chunks` and a v2 component's files (module scripts and stylesheets)."""
    tags = [f'<link rel="modulepreload" crossorigin href="./static/js/{html.escape(name)}">' for name in chunks]
    for url in component_files:
        kind = 'rel="preload" as="style"' if url.endswith(".css") else 'rel="modulepreload" crossorigin'
        tags.append(f'<link {kind} href="{html.escape(url)}">')
    return "".join(tags)


def after_first_paint(url: str) -> str:
    """A script that runs the module at `url` right after the page's first paint (the frame of the next animation
    frame), or 0.2 s after it is parsed in a tab that draws no frames (in the background)."""
    return ('<script>(() => { let started = false; const start = () => { if (started) return; started = true; '
            'const entry = document.createElement("script"); entry.type = "module"; entry.crossOrigin = ""; '
            f'entry.src = {json.dumps(url)}; document.head.appendChild(entry); }}; '
            'requestAnimationFrame(() => setTimeout(start)); setTimeout(start, 200); })();</script>')


def first_screen(index_html: str, frame: Frame, preloads: str = "") -> str:
    """Streamlit's index page with `frame` in its root element, its stylesheet after that, `preloads` at the end of
    its head and the app's title; the page unchanged when it has no root element where this expects it (another
    Streamlit)."""
    if ROOT not in index_html or "</head>" not in index_html:
        return index_html
    sheets = "".join(link.strip() for link in STYLESHEET.findall(index_html))
    entry = ENTRY.search(index_html)
    page = STYLESHEET.sub("", index_html).replace("</head>", f"{STYLE}{preloads}</head>", 1)
    page = TITLE.sub(f"<title>{APP_TITLE}</title>", page, count=1)
    start = ""
    if entry:  # after the frame in the document: the root element is there when Streamlit's script runs
        page, start = page.replace(entry.group(0), "", 1), after_first_paint(entry.group(1))
    return page.replace(ROOT, f'<div id="root">{frame_html(frame)}</div>{sheets}{start}', 1)


def package_dir(name: str) -> Path | None:
    """The folder of an installed package, without importing it; None when it is not installed."""
    spec = importlib.util.find_spec(name)
    return Path(spec.origin).parent if spec is not None and spec.origin else None


def canvas_files() -> list[str]:
    """The URLs (relative to the page) of the canvas component's bundle and stylesheet, as Streamlit serves them."""
    folder = package_dir(CANVAS_PACKAGE)
    build = folder / "frontend" / "build" if folder is not None else None
    if build is None or not build.is_dir():
        return []
    return [f"./_stcore/bidi-components/{CANVAS_COMPONENT}/{path.name}"
            for path in sorted(build.iterdir()) if path.suffix in (".js", ".css")]


@dataclass(frozen=True)
class FirstScreens:
    """The index page of each of the app's pages, built once from Streamlit's own."""

    pages: dict[str, str]

    @classmethod
    def build(cls, static_dir: Path) -> FirstScreens:
        index_html = (static_dir / "index.html").read_text(encoding="utf-8")
        draw = preload_tags(element_chunks(static_dir / "static" / "js", DRAW_ELEMENTS, index_html), canvas_files())
        return cls({path: first_screen(index_html, frame, draw if frame.canvas else "")
                    for path, frame in FRAMES.items()})


def streamlit_static_dir() -> Path | None:
    """Streamlit's folder of frontend files (its index.html and bundles); None when it cannot be found."""
    folder = package_dir("streamlit")
    static = folder / "static" if folder is not None else None
    return static if static is not None and (static / "index.html").is_file() else None


def routes(base_url: str = "") -> list:
    """Starlette routes answering each page's path with its first screen (Streamlit answers every other path);
    none under a base URL path, or when Streamlit's files cannot be found: Streamlit's own page then."""
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    static = streamlit_static_dir()
    if base_url.strip("/") or static is None:
        return []
    screens = FirstScreens.build(static)

    def answer(page: str):
        async def endpoint(_request) -> HTMLResponse:
            return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
        return endpoint

    return [Route(f"/{path}", answer(page), methods=["GET", "HEAD"]) for path, page in screens.pages.items()]
