"""Entry point: `streamlit run streamlit_app.py`. Navigation only; the pages live in digit_app/ui.

`streamlit run` first imports this file as a module and serves the `app` it finds (`st.App`), whose lifespan
starts the warm-up (digit_app/ui/warm_up.py) as the server starts; every visit then runs this file as the
page script (`__main__`), which draws the navigation.
"""

from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

if __name__ == "__main__":  # a visit: the page script
    from digit_app.ui.html import page_style
    from digit_app.ui.streamlit_patches import (keep_keras_state, keep_theme_messages,
                                                plain_component_data_without_pandas,
                                                refuse_undecodable_widget_values)
    from digit_app.ui.warm_up import start_warm_up

    start_warm_up()  # once per process; already under way when the server was started by `streamlit run`
    keep_keras_state()  # no Keras reset after every run: it cost each stroke 0.3-1.5 s once Retrain was opened
    refuse_undecodable_widget_values()  # a canvas value nested too deep, or not JSON, becomes no value
    keep_theme_messages()  # the theme's part of each run's first message built once, not at every stroke
    plain_component_data_without_pandas()  # the canvas' drawing is sent without importing pandas to check it
    # The tab's icon is a file of the app's own: a Material icon as page icon is fetched from the internet.
    ICON = Path(__file__).with_name("digit_app") / "ui" / "assets" / "icon.png"
    st.set_page_config(page_title="Digit reader", page_icon=str(ICON))
    st.html(page_style())  # contrast, focus and target sizes on every page (digit_app/ui/page.css)
    pages = [
        st.Page("digit_app/ui/draw.py", title="Draw", icon=":material/draw:", default=True),
        st.Page("digit_app/ui/photo.py", title="Photo", icon=":material/photo_camera:"),
        st.Page("digit_app/ui/corrections.py", title="Corrections", icon=":material/rule:"),
        st.Page("digit_app/ui/retrain.py", title="Retrain", icon=":material/model_training:"),
    ]
    st.navigation(pages).run()
else:  # imported by `streamlit run` to find the app to serve
    from starlette.middleware import Middleware

    from digit_app.ui.asset_cache import ComponentBundleCache
    from digit_app.ui.first_screen import routes
    from digit_app.ui.streamlit_patches import scan_only_the_apps_components

    scan_only_the_apps_components()  # Streamlit finds the canvas as it starts without reading every package's metadata

    @asynccontextmanager
    async def warm_up_at_start(_app):
        """Start warming the pages' imports and model as the server starts, without delaying it."""
        from digit_app.ui.warm_up import start_warm_up

        start_warm_up()
        yield

    # The pages' own paths answer with Streamlit's page with the page's frame in it (digit_app/ui/first_screen.py);
    # browsers keep the canvas' bundle (digit_app/ui/asset_cache.py).
    app = st.App(Path(__file__).name, lifespan=warm_up_at_start, routes=routes(st.get_option("server.baseUrlPath")),
                 middleware=[Middleware(ComponentBundleCache)])
