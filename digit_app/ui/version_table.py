"""The kept model versions as a table, with Activate and Delete (asked first), for the Retrain page."""

from __future__ import annotations

import streamlit as st

from digit_app.database import DatabaseError
from digit_app.database import registry as versions
from digit_app.database.versions import VersionInUseError
from digit_app.store.model_files import ModelStoreError
from digit_app.ui.gate import is_operator, locked_note
from digit_app.ui.shared_database import shared_database
from digit_app.ui.versions_html import versions_html


def percent(value: float | None) -> str:
    """An accuracy as a percentage, or a dash where there is none (an old model, a run without drawings)."""
    return f"{value:.2%}" if isinstance(value, (int, float)) else "—"


def epochs(value: object) -> str:
    """A version's epochs as text, a dash where its metadata has none (the shipped model: no "None")."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else "—"


def versions_table() -> None:
    """Every kept model; actions name the version they act on, as the person saw it when the page was drawn."""
    try:
        database = shared_database()
        active, kept = versions.active_version_id(database), versions.list_versions(database)
    except DatabaseError as problem:
        st.error(f"{problem} The list of model versions cannot be shown.")
        return
    rows = [{"version": v.id, "in use": v.id == active, "MNIST test accuracy": percent(v.test_accuracy),
             "drawings by unseen writers": percent(v.summary.drawing_accuracy),
             "reads strokes": bool(v.summary.held_out_writers),
             "epochs": epochs(v.summary.training.get("epochs")), "saved": v.summary.saved_at or ""}
            for v in kept]
    st.html(versions_html(rows))  # every id whole, as text in the page (a dataframe's canvas cut them)
    ids = [row["version"] for row in rows]
    # The choice is keyed by the list and the model in use: when another session adds, deletes or
    # activates a version, the choice starts again at the model in use instead of landing on
    # whatever now sits at its place.
    chosen = st.selectbox("Version", ids, index=ids.index(active) if active in ids else 0,
                          key=f"version-{active}-" + "|".join(ids))
    use, remove = st.columns(2)
    operator = is_operator()
    use.button("Activate", disabled=chosen == active or not operator, width="stretch", on_click=act_on_version,
               args=("activate", chosen), help="Every session's Draw page switches to this version.")
    remove.button("Delete", disabled=chosen in (versions.SHIPPED, active) or not operator, width="stretch",
                  on_click=st.session_state.__setitem__, args=("confirm-delete", chosen),
                  help="The shipped model and the model in use cannot be deleted: activate another one first.")
    if operator and st.session_state.get("confirm-delete") == chosen:
        st.warning(f"Delete version {chosen}? Its model file goes for good; no other version is touched.")
        yes, no = st.columns(2)
        yes.button(f"Delete {chosen}", type="primary", width="stretch", on_click=act_on_version,
                   args=("delete", chosen))
        no.button("Keep it", width="stretch", on_click=st.session_state.pop, args=("confirm-delete", None))
    if not operator:
        locked_note("Activating or deleting a version")
    outcome = st.session_state.pop("version-outcome", None)
    if outcome:
        (st.error if outcome[0] == "error" else st.success)(outcome[1])


def act_on_version(action: str, version_id: str) -> None:
    """Activate or delete the version with this id, checked now: it may be gone, or in use, since the page was drawn."""
    try:
        if not is_operator():
            raise ModelStoreError("Only the operator may activate or delete versions: unlock in the sidebar.")
        database = shared_database()
        if action == "activate":
            versions.activate(version_id, database)
            message = f"{version_id} is now the model in use."
        else:
            versions.delete(version_id, database)  # refused for the shipped model and the one in use, checked now
            message = f"Deleted {version_id}."
    except KeyError:
        outcome = ("error", f"Version {version_id} is gone (deleted in another session); the list is up to date now.")
    except (ModelStoreError, VersionInUseError, DatabaseError) as problem:
        outcome = ("error", str(problem))
    else:
        outcome = ("success", message)
    st.session_state.pop("confirm-use", None)
    st.session_state.pop("confirm-delete", None)
    st.session_state["version-outcome"] = outcome
