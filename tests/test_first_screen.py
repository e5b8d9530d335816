"""digit_app/ui/first_screen.py: the index page each of the app's paths answers with, and how `streamlit run` finds
the app that serves it (streamlit_app.py's `st.App`)."""

from __future__ import annotations

import re
from pathlib import Path

from digit_app.ui.first_screen import (FRAMES, FirstScreens, Frame, canvas_files, element_chunks, first_screen,
                                       frame_html, package_dir, preload_tags, routes, streamlit_static_dir)

ROOT = Path(__file__).resolve().parents[1]

INDEX = """<html><head><title>Streamlit</title><script type="module" src="./static/js/index.A1.js"></script>
<link rel="modulepreload" crossorigin href="./static/js/shared.B2.js">
<link rel="stylesheet" crossorigin href="./static/css/index.C3.css">
</head><body><div id="root"></div></body></html>"""


def test_the_frame_is_in_the_root_element_and_the_stylesheet_after_it():
    page = first_screen(INDEX, Frame("Draw a digit", "Loading the canvas…", canvas=True), "<link rel=x>")
    head, body = page.split("</head>")
    assert "<link rel=x>" in head and "<style>" in head
    assert "stylesheet" not in head  # in the head it would hold back the frame's paint until it loaded
    root = body.index('<div id="root">')
    assert root < body.index("Draw a digit") < body.index('href="./static/css/index.C3.css"')
    assert 'class="dr-canvas"' in body and 'role="status"' in body
    assert '<script type="module" src="./static/js/index.A1.js">' in head  # Streamlit still loads as before
    assert "<title>Digit reader</title>" in head and "Streamlit</title>" not in head


def test_a_page_without_a_root_element_is_left_as_it_is():
    other = INDEX.replace('<div id="root"></div>', '<main id="app"></main>')
    assert first_screen(other, FRAMES[""]) == other


def test_the_frame_escapes_its_text_and_has_a_canvas_box_only_when_asked():
    assert "&lt;b&gt;" in frame_html(Frame("<b>", "x"))
    assert "dr-canvas" not in frame_html(Frame("Retrain", "Loading the page…"))


def test_element_chunks_follow_static_imports_and_leave_out_what_the_index_preloads(tmp_path):
    (tmp_path / "Slider.S1.js").write_text('import{a}from"./moment.M1.js";import"./shared.B2.js";'
                                           'const later=()=>import("./Lazy.L1.js")')
    (tmp_path / "moment.M1.js").write_text('import{b}from"./numbro.N1.js"')
    (tmp_path / "numbro.N1.js").write_text("export const b=1")
    (tmp_path / "shared.B2.js").write_text("export const s=1")
    (tmp_path / "SliderTrack.T1.js").write_text("")  # another element whose name starts the same
    chunks = element_chunks(tmp_path, ("Slider", "Missing"), INDEX)
    assert chunks == ["Slider.S1.js", "moment.M1.js", "numbro.N1.js"]  # not shared (preloaded), not the dynamic one


def test_preload_tags_load_modules_as_modules_and_stylesheets_as_styles():
    tags = preload_tags(["Slider.S1.js"], ["./_stcore/bidi-components/c/index.js", "./_stcore/bidi-components/c/s.css"])
    assert '<link rel="modulepreload" crossorigin href="./static/js/Slider.S1.js">' in tags
    assert '<link rel="modulepreload" crossorigin href="./_stcore/bidi-components/c/index.js">' in tags
    assert '<link rel="preload" as="style" href="./_stcore/bidi-components/c/s.css">' in tags


def test_the_draw_page_preloads_files_that_this_streamlit_and_canvas_have():
    static = streamlit_static_dir()
    assert static is not None
    pages = FirstScreens.build(static).pages
    assert set(pages) == set(FRAMES)
    draw = pages[""]
    chunks = re.findall(r'href="\./static/js/([\w.\-]+\.js)"', draw.split("</head>")[0])
    assert any(name.startswith("Slider.") for name in chunks)
    assert any(name.startswith("BidiComponent.") for name in chunks)
    assert all((static / "static" / "js" / name).is_file() for name in chunks)
    bundle = [url for url in canvas_files() if url.endswith(".js")]
    assert len(bundle) == 1 and bundle[0] in draw
    folder = package_dir("streamlit_drawable_canvas")
    assert (folder / "frontend" / "build" / bundle[0].rsplit("/", 1)[1]).is_file()
    assert "modulepreload crossorigin href=\"./_stcore" not in pages["retrain"]  # only the Draw page has a canvas
    assert "<h1>Retrain</h1>" in pages["retrain"] and "<h1>Draw a digit</h1>" in draw


def test_routes_answer_each_page_path_and_none_under_a_base_url():
    import asyncio

    from starlette.routing import Match

    served = routes("")

    def answer(path: str):
        scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
        matched = [route for route in served if route.matches(scope)[0] is Match.FULL]
        return asyncio.run(matched[0].endpoint(None)) if matched else None

    for path, frame in (("/", FRAMES[""]), ("/photo", FRAMES["photo"]), ("/retrain", FRAMES["retrain"])):
        response = answer(path)
        assert f"<h1>{frame.title}</h1>" in response.body.decode()
        assert response.headers["cache-control"] == "no-cache"  # a new Streamlit's page after an upgrade
    assert answer("/static/js/x.js") is None and answer("/photo/x") is None  # everything else is Streamlit's
    assert routes("app") == []


def test_streamlit_run_serves_the_app_object_of_the_entry_point():
    """`streamlit run streamlit_app.py` finds `app` (st.App) and serves it, with the warm-up and the first screens."""
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "streamlit_app.py")
    assert found.is_asgi_app and found.import_string == "streamlit_app:app"


def test_streamlits_entry_script_starts_after_the_frame_and_only_once():
    static = streamlit_static_dir()
    index_html = (static / "index.html").read_text(encoding="utf-8")
    (entry,) = re.findall(r'<script type="module" crossorigin src="(\./static/js/index\.[\w\-]+\.js)"></script>',
                          index_html)
    page = FirstScreens.build(static).pages[""]
    head, body = page.split("</head>")
    assert entry not in head  # run as the page is parsed, it would hold back the frame's first paint
    assert body.index("Draw a digit") < body.index(f'entry.src = "{entry}"')
    assert body.count(entry) == 1 and (static / entry).is_file()
    assert "requestAnimationFrame" in body and "setTimeout(start, 200)" in body  # a background tab starts too
