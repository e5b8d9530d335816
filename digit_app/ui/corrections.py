"""Corrections page: the drawings saved with "Wrong? It is a ...", to look through, delete, export or import."""

from __future__ import annotations

import streamlit as st

from digit_app.corrections import CorrectionsError, CorrectionStore
from digit_app.ui.common import enlarge

COLUMNS = 6

st.title("Corrections")
st.caption("Drawings the model read wrong, saved on the Draw page with the digit you meant. "
           "The Retrain page can add them to MNIST so the model learns your handwriting.")
store = CorrectionStore()
try:
    corrections = store.list()
except CorrectionsError as problem:
    st.error(str(problem))
    st.stop()

st.metric("Corrections kept", len(corrections))
export_column, import_column = st.columns(2, vertical_alignment="bottom")
export_column.download_button("Export as .npz", store.export_npz(), "corrections.npz", disabled=not corrections,
                              width="stretch")
with import_column:
    upload = st.file_uploader("Import an exported .npz", type=["npz"])
    if upload is not None and st.button("Import", width="stretch"):
        try:
            st.session_state["imported"] = store.import_npz(upload.getvalue())
            st.rerun()
        except CorrectionsError as problem:
            st.error(str(problem))
if "imported" in st.session_state:
    st.success(f"Imported {st.session_state.pop('imported')} corrections.")

if not corrections:
    st.info("No corrections yet: on the Draw page, under a wrong answer, pick the right digit and save it.")
for start in range(0, len(corrections), COLUMNS):
    for column, correction in zip(st.columns(COLUMNS), corrections[start : start + COLUMNS]):
        read = f", read as {correction.predicted}" if correction.predicted is not None else ""
        column.image(enlarge(correction.image / 255.0), clamp=True, caption=f"{correction.label}{read}")
        if column.button("Delete", key=f"delete-{correction.id}", width="stretch"):
            store.delete(correction.id)
            st.rerun()
