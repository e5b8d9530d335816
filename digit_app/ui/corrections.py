"""Corrections page: the drawings saved with "Wrong? It is a ...", to look through, accept, delete, export or import.

On a locked deployment a visitor's correction is a suggestion until the operator accepts it here;
training learns only accepted corrections.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import streamlit as st

from digit_app.images import enlarge
from digit_app.database import Correction, CorrectionsTable, DatabaseError, corrections_table
from digit_app.database.schema import ACCEPTED, SUGGESTED
from digit_app.store.corrections import CorrectionsError
from digit_app.ui.gate import is_operator, locked_note, operator_panel
from digit_app.ui.shared_database import shared_database
from digit_app.ui.text import for_visitors, literal

COLUMNS = 6
PAGE_SIZE = 48  # corrections per page: thousands are paged, never drawn at once
VIEWS = {"Suggestions": SUGGESTED, "Accepted": ACCEPTED}
UNDO_LEVELS = 20  # deletions this session can take back, newest first


def plural(count: int, noun: str) -> str:
    """"1 correction", "4 corrections": a count with its noun as people write it."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def remember(correction: Correction) -> None:
    """Keep a removed correction in this session, newest last, so that Undo can put it back (the last few)."""
    st.session_state["deleted"] = [*st.session_state.get("deleted", []), correction][-UNDO_LEVELS:]


def said_on_the_page(action: Callable[..., None]) -> Callable[..., None]:
    """A button's action whose database error (refused, or unreachable for now) the page says on its next run."""
    @functools.wraps(action)
    def careful(*args) -> None:
        try:
            action(*args)
        except DatabaseError as problem:
            st.session_state["corrections-problem"] = for_visitors(str(problem))
    return careful


@said_on_the_page
def delete(store: CorrectionsTable, correction: Correction) -> None:
    """Delete one correction by its id; Undo can put it back."""
    if is_operator() and store.delete(correction.id):
        remember(correction)


@said_on_the_page
def reject(store: CorrectionsTable, correction: Correction) -> None:
    """Remove one suggestion (never an accepted correction); Undo can put it back."""
    if is_operator() and store.reject(correction.id):
        remember(correction)


@said_on_the_page
def accept(store: CorrectionsTable, ids: tuple[int, ...]) -> None:
    """Accept the suggestions the operator saw, by their ids: from now on training learns from them."""
    if is_operator():
        st.session_state["accepted"] = store.accept(ids)


@said_on_the_page
def undo(store: CorrectionsTable) -> None:
    """Put back the correction removed last; the one before it is next."""
    removed = list(st.session_state.get("deleted", []))
    if removed and is_operator():
        store.restore(removed.pop())
        st.session_state["deleted"] = removed


def transfer(store: CorrectionsTable, total: int) -> None:
    """Export and import, for the operator."""
    export_column, import_column = st.columns(2, vertical_alignment="bottom")
    # The export is made only when asked for: with thousands kept, every rerun would build it.
    export_column.download_button("Export as .npz", store.export_npz, "corrections.npz",
                                  disabled=not total, width="stretch", help="The accepted corrections.")
    with import_column:
        upload = st.file_uploader("Import an exported .npz", type=["npz"])
        if upload is not None and st.button("Import", width="stretch"):
            try:
                st.session_state["imported"] = store.import_npz(upload.getvalue())
                st.rerun()
            except (CorrectionsError, DatabaseError) as problem:
                st.error(literal(str(problem)))  # it may quote the file's own member names


def news(store: CorrectionsTable) -> None:
    """What the last action did: imported, accepted, or deleted (with Undo), or why it could not."""
    if "corrections-problem" in st.session_state:
        st.error(st.session_state.pop("corrections-problem"))
    if "imported" in st.session_state:
        st.success(f"Imported {plural(st.session_state.pop('imported'), 'correction')}.")
    if "accepted" in st.session_state:
        st.success(f"Accepted {plural(st.session_state.pop('accepted'), 'suggestion')}: training learns from them now.")
    removed = st.session_state.get("deleted") or []
    if removed:
        deleted = removed[-1]
        message, button = st.columns([3, 1], vertical_alignment="center")
        what = "Rejected a suggestion" if deleted.state == SUGGESTED else "Deleted a correction"
        more = f" Undo can put back {plural(len(removed), 'removal')}, newest first." if len(removed) > 1 else ""
        message.info(f"{what}: {deleted.label} (#{deleted.id}).{more}")
        button.button("Undo", on_click=undo, args=(store,), width="stretch",
                      help=f"Put back #{deleted.id}, a {deleted.label}.")


def tiles(store: CorrectionsTable, shown: list[Correction], operator: bool) -> None:
    """The corrections in a grid, each with its buttons: Accept and Reject for a suggestion, Delete otherwise."""
    for first in range(0, len(shown), COLUMNS):
        for column, correction in zip(st.columns(COLUMNS), shown[first : first + COLUMNS]):
            read = f", read as {correction.predicted}" if correction.predicted is not None else ""
            column.image(enlarge(correction.image / 255.0), clamp=True, caption=f"{correction.label}{read}",
                         alt=f"Correction {correction.id}: the digit {correction.label}{read}")
            if correction.state == SUGGESTED:
                # Each button names its correction: a screen reader lists 48 of them by name.
                column.button(f"Accept #{correction.id}", key=f"accept-{correction.id}", width="stretch",
                              disabled=not operator, on_click=accept, args=(store, (correction.id,)),
                              help=f"Accept suggestion {correction.id}, a {correction.label}.")
                column.button(f"Reject #{correction.id}", key=f"reject-{correction.id}", width="stretch",
                              disabled=not operator, on_click=reject, args=(store, correction),
                              help=f"Reject suggestion {correction.id}, a {correction.label}.")
            else:
                column.button(f"Delete #{correction.id}, the {correction.label}", key=f"delete-{correction.id}",
                              width="stretch",
                              disabled=not operator, on_click=delete, args=(store, correction),
                              help=f"Delete correction {correction.id}, a {correction.label}.")


st.title("Corrections")
st.caption("Drawings the model read wrong, saved on the Draw page with the digit you meant. "
           "The Retrain page can add them to MNIST so the model learns your handwriting.")
operator_panel()
operator = is_operator()
try:
    store = corrections_table(shared_database())
    total, waiting = store.count(ACCEPTED), store.count(SUGGESTED)
except DatabaseError as problem:
    st.error(for_visitors(str(problem)))
    st.stop()

kept_column, waiting_column = st.columns(2)
kept_column.metric("Corrections kept", total, help="Accepted: what training learns from.")
if waiting:
    waiting_column.metric("Suggestions waiting", waiting, help="Visitors' corrections, waiting for the operator.")
if operator:
    transfer(store, total)
else:
    locked_note("Accepting, rejecting, exporting, importing or deleting corrections")
news(store)

view = ACCEPTED
if waiting:
    view = VIEWS[st.segmented_control("Show", list(VIEWS), default="Suggestions", key="corrections-view")
                 or "Suggestions"]
count = waiting if view == SUGGESTED else total
if not count:
    st.info("No corrections yet: on the Draw page, under a wrong answer, pick the right digit and save it.")
    st.stop()
pages = math.ceil(count / PAGE_SIZE)
page = st.number_input("Page", 1, pages, 1, key="suggestions-page" if view == SUGGESTED else "corrections-page",
                       help=f"{PAGE_SIZE} a page, newest first.")
start = (int(page) - 1) * PAGE_SIZE
try:
    shown = store.page(start, PAGE_SIZE, view)
except DatabaseError as problem:
    st.error(for_visitors(str(problem)))
    st.stop()
kind = "suggestions" if view == SUGGESTED else "corrections"
st.caption(f"{kind.capitalize()} {start + 1}-{start + len(shown)} of {count}, newest first.")
if view == SUGGESTED:
    st.caption("Accepted suggestions join the corrections training learns from; rejected ones are removed.")
    st.button(f"Accept all {len(shown)} shown", key="accept-shown", disabled=not operator or not shown,
              on_click=accept, args=(store, tuple(correction.id for correction in shown)))
with st.container(key="corrections-grid"):  # its images have no fullscreen button (ui/page.css): one tab stop each
    tiles(store, shown, operator)
