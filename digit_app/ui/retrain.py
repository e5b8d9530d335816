"""Retrain page (placeholder until the Retrain issue lands): how to train a model today."""

import streamlit as st

from digit_app.ui.common import get_classifier

st.title("Retrain")
st.info("Training from this page is on its way. Until then, train from a terminal:")
st.code("python -m digit_app train --data mnist --epochs 20 --output model/my_model.keras", language="bash")
metadata = get_classifier().metadata
if metadata:
    st.subheader("The model in use")
    st.json(metadata, expanded=False)
