"""Corrections page: the drawings saved with "Wrong? It is a ...", to look through, delete, export or import."""

from __future__ import annotations

import math

import streamlit as st

from digit_app.store.corrections import Correction, CorrectionsError, CorrectionStore, Damaged
from digit_app.ui.common import enlarge
from digit_app.ui.gate import is_operator, locked_note, operator_panel

COLUMNS = 6
PAGE_SIZE = 48  # corrections per page: thousands are paged, never drawn at once


def delete(store: CorrectionStore, correction: Correction) -> None:
    """Delete one correction by its id, and keep it in this session so that Undo can put it back."""
    if is_operator() and store.delete(correction.id):
        st.session_state["deleted"] = correction


def undo(store: CorrectionStore) -> None:
    correction = st.session_state.pop("deleted", None)
    if correction is not None and is_operator():
        store.restore(correction)


st.title("Corrections")
st.caption("Drawings the model read wrong, saved on the Draw page with the digit you meant. "
           "The Retrain page can add them to MNIST so the model learns your handwriting.")
operator_panel()
operator = is_operator()
store = CorrectionStore()
try:
    total = store.count()
except CorrectionsError as problem:
    st.error(str(problem))
    st.stop()

st.metric("Corrections kept", total)
if operator:
    export_column, import_column = st.columns(2, vertical_alignment="bottom")
    # The export is made only when asked for: with thousands kept, every rerun would build it.
    export_column.download_button("Export as .npz", store.export_npz, "corrections.npz",
                                  disabled=not total, width="stretch")
    with import_column:
        upload = st.file_uploader("Import an exported .npz", type=["npz"])
        if upload is not None and st.button("Import", width="stretch"):
            try:
                st.session_state["imported"] = store.import_npz(upload.getvalue())
                st.rerun()
            except CorrectionsError as problem:
                st.error(str(problem))
else:
    locked_note("Exporting, importing or deleting corrections")
if "imported" in st.session_state:
    st.success(f"Imported {st.session_state.pop('imported')} corrections.")
deleted = st.session_state.get("deleted")
if deleted is not None:
    message, button = st.columns([3, 1], vertical_alignment="center")
    message.info(f"Deleted a correction: {deleted.label} (#{deleted.id}).")
    button.button("Undo", on_click=undo, args=(store,), width="stretch")

if not total:
    st.info("No corrections yet: on the Draw page, under a wrong answer, pick the right digit and save it.")
    st.stop()
pages = math.ceil(total / PAGE_SIZE)
page = st.number_input("Page", 1, pages, 1, key="corrections-page", help=f"{PAGE_SIZE} a page, newest first.")
start = (int(page) - 1) * PAGE_SIZE
rows = store.page(start, PAGE_SIZE)
st.caption(f"{start + 1}-{start + len(rows)} of {total}, newest first.")
damaged = [row for row in rows if isinstance(row, Damaged)]
if damaged:
    st.warning("Skipped, damaged in the corrections file: "
               + "; ".join(f"#{row.id} ({row.problem})" for row in damaged) + ".")
shown = [row for row in rows if isinstance(row, Correction)]
for first in range(0, len(shown), COLUMNS):
    for column, correction in zip(st.columns(COLUMNS), shown[first : first + COLUMNS]):
        read = f", read as {correction.predicted}" if correction.predicted is not None else ""
        column.image(enlarge(correction.image / 255.0), clamp=True, caption=f"{correction.label}{read}")
        column.button("Delete", key=f"delete-{correction.id}", width="stretch", disabled=not operator,
                      on_click=delete, args=(store, correction))
