"""A training run on the Retrain page: its progress while it runs, then its report and "Use this model"."""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from digit_app.database import DatabaseError
from digit_app.database import registry as versions
from digit_app.jobs.progress import JobStatus, steady_time_left
from digit_app.ui.gate import is_operator, locked_note
from digit_app.ui.shared_database import shared_database
from digit_app.ui.version_table import act_on_version, percent


def progress_label(status: JobStatus, now: float, shown: MutableMapping[str, Any]) -> str:
    """The progress bar's words: the stage, how far, the time left in it (never rising), and what comes after."""
    config = status.config
    epochs, strokes = config.epochs, config.stroke_epochs if config.drawn else 0
    after = f"; then the stroke model's {strokes} epoch{'s' * (strokes != 1)}" if strokes else ""
    label = {"queued": "Waiting for its turn…",
             "loading": "Loading data…",
             "preparing": f"Drawing the pen digits on a canvas: {status.prepared:.0%}",
             "training": f"Epoch {status.epoch} of {epochs}, pixel CNN",
             "strokes": f"Stroke model: epoch {status.epoch} of {strokes}",
             "evaluating": "Measuring the new model on the test set…",
             "saving": "Saving the model…"}.get(status.state, f"Finished: {epochs} epoch{'s' * (epochs != 1)}"
                                                 + (f" and the stroke model's {strokes}" if strokes else ""))
    if not status.running:
        return label
    left = steady_time_left(status, now, shown)
    minutes, seconds = divmod(round(left or 0), 60)
    label += (f" · {now - status.started:.0f} s so far" if left is None
              else f" · about {minutes} min {seconds:02d} s left" if minutes else f" · about {seconds} s left")
    return label + (after if status.state in ("queued", "loading", "preparing", "training") else "")


def show_progress(status: JobStatus) -> None:
    """The bar (what runs, how far, the time left) and, after two epochs, the accuracy and loss curves."""
    label = progress_label(status, time.time(), st.session_state.setdefault("time-left-shown", {}))
    st.progress(status.fraction, text=label)
    if len(status.history) > 1:  # one epoch is a single point: no curve to draw
        curve = pd.DataFrame(status.history).set_index("epoch")
        accuracy_column, loss_column = st.columns(2)
        names = {"accuracy": "training", "val_accuracy": "validation", "loss": "training", "val_loss": "validation"}
        accuracy = (curve[[c for c in ("accuracy", "val_accuracy") if c in curve]] * 100).rename(columns=names)
        accuracy_column.line_chart(accuracy, height=200, x_label="epoch", y_label="accuracy, %")
        loss = curve[[c for c in ("loss", "val_loss") if c in curve]].rename(columns=names)
        loss_column.line_chart(loss, height=200, x_label="epoch", y_label="loss")


def compared_with(status: JobStatus) -> tuple[versions.ModelVersion, str]:
    """The version that was in use when the run started (still, after "Use this model"), and its label."""
    database = shared_database()
    active = versions.active_version_id(database)
    try:
        baseline = versions.get_version(status.summary.compared_with or active, database)
    except KeyError:  # deleted since: compare with what is in use now
        baseline = versions.get_version(active, database)
    return baseline, "model in use" if baseline.id == active else f"previous model ({baseline.id})"


def change(new: float | None, old: float | None) -> str | None:
    """A metric's badge: the change in percentage points, or none when there is nothing to compare or no change."""
    if not isinstance(new, (int, float)) or not isinstance(old, (int, float)) or round((new - old) * 100, 2) == 0:
        return None
    return f"{(new - old) * 100:+.2f} points"


def show_result(status: JobStatus) -> None:
    """The finished run beside the model it would replace: accuracies, "Use this model", its confusions."""
    accuracy = status.summary.test_accuracy or 0.0
    try:
        baseline, name = compared_with(status)
    except DatabaseError as problem:
        st.error(f"{problem} The report cannot be compared with the model in use right now.")
        return
    left, right = st.columns(2)
    left.metric("MNIST test accuracy, new model", percent(accuracy), delta=change(accuracy, baseline.test_accuracy))
    right.metric(f"MNIST test accuracy, {name}", percent(baseline.test_accuracy))
    on_corrections = status.summary.corrections_accuracy
    if on_corrections:
        before = on_corrections.model_in_use
        left.metric("Your corrections, new model", percent(on_corrections.new_model),
                    delta=change(on_corrections.new_model, before))
        right.metric(f"Your corrections, {name}", percent(before))
    held_out = status.summary.held_out_writers
    new_drawings = before_drawings = None
    if held_out:
        new_drawings = held_out.get("drawing", held_out.get("pixels"))
        before_drawings = baseline.summary.drawing_accuracy
        left.metric("Drawings by 6 writers it never saw, new model", percent(new_drawings),
                    delta=change(new_drawings, before_drawings))
        right.metric(f"The same drawings, {name}", percent(before_drawings))
    st.caption(f"Trained in {status.summary.train_seconds or 0:.0f} s at "
               f"{status.summary.images_per_second or 0:.0f} images a second. Version {status.version_id}.")
    if versions.active_version_id(shared_database()) == status.version_id:
        st.caption("This model is in use on the Draw page.")
        return
    if not is_operator():
        locked_note("Using this model")
        return
    worse = [what for what, new, old in (("MNIST", accuracy, baseline.test_accuracy),
                                         ("drawings", new_drawings, before_drawings))
             if isinstance(new, (int, float)) and isinstance(old, (int, float)) and new < old]
    asked = st.session_state.get("confirm-use") == status.version_id
    if worse and asked:
        st.warning(f"The new model reads {' and '.join(worse)} worse than the {name}. Every session's Draw page "
                   "will switch to it.")
        yes, no = st.columns(2)
        if yes.button("Use it anyway", type="primary"):
            act_on_version("activate", status.version_id)
            st.rerun(scope="app")  # this report is a fragment: the version table outside it must follow
        if no.button("Keep the model in use"):
            st.session_state.pop("confirm-use", None)
            st.rerun(scope="app")
    elif st.button("Use this model", type="primary", help="Every session's Draw page switches to it."):
        if worse:
            st.session_state["confirm-use"] = status.version_id
        else:
            act_on_version("activate", status.version_id)
        st.rerun(scope="app")
    matrix = np.array(status.summary.confusion_matrix)
    cells = pd.DataFrame([(t, p, int(matrix[t, p])) for t in range(10) for p in range(10)],
                         columns=["true", "predicted", "count"])
    heatmap = alt.Chart(cells).mark_rect().encode(
        x="predicted:O", y="true:O", color=alt.Color("count:Q", scale=alt.Scale(type="symlog")),
        tooltip=["true", "predicted", "count"])
    st.caption("Confusion matrix on the test set")
    st.altair_chart(heatmap, width="stretch")
    if status.gallery:
        st.caption("Some test digits it got wrong (true → read)")
        columns = st.columns(8)
        for index, (image, truth, predicted) in enumerate(status.gallery[:16]):
            columns[index % 8].image(np.kron(image, np.ones((3, 3), np.uint8)), caption=f"{truth} → {predicted}")
