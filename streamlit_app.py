"""Entry point: `streamlit run streamlit_app.py`. Navigation only; the pages live in digit_app/ui."""

from pathlib import Path

import streamlit as st

from digit_app.ui.html import page_style
from digit_app.ui.streamlit_patches import keep_keras_state, keep_theme_messages, refuse_undecodable_widget_values

keep_keras_state()  # no Keras reset after every run: it cost each stroke 0.3-1.5 s once Retrain was opened
refuse_undecodable_widget_values()  # a canvas value nested too deep, or not JSON, becomes no value
keep_theme_messages()  # the theme's part of each run's first message built once, not at every stroke
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
