"""Retrain page: choose data and augmentation, train in the background, judge the result, use it."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from digit_app import versions
from digit_app.augment import AugmentConfig, preview_grid
from digit_app.corrections import CorrectionsError, CorrectionStore
from digit_app.data import KERAS_SOURCE, DataError, load_mnist
from digit_app.jobs import JobRunningError, JobStatus, Trainer
from digit_app.training import TrainConfig
from digit_app.ui.common import default_local_data, get_classifier

PREVIEW_DIGITS = 16
DEFAULTS = AugmentConfig()
# (field, label, maximum, step, help) for each augmentation slider
SLIDERS = [
    ("rotation", "Rotation (degrees)", 45.0, 1.0, "Turn each digit by up to this much either way."),
    ("shift", "Shift (share of size)", 0.3, 0.01, "Move each digit by up to this share of the image."),
    ("zoom", "Zoom", 0.5, 0.01, "Make each digit up to this much bigger or smaller."),
    ("stretch", "Stretch", 0.5, 0.01, "Make each digit up to this much wider or narrower."),
    ("shear", "Shear (slant)", 0.6, 0.01, "Slant each digit by up to this much."),
    ("elastic", "Elastic distortion", 1.0, 0.05, "A smooth random wobble, like an unsteady hand."),
    ("thickness", "Stroke thickness", 1.0, 0.05, "Make strokes up to this much thinner or thicker."),
    ("noise", "Noise", 0.3, 0.01, "Random speckle added to every pixel."),
    ("redraw", "Redrawn copies", 1.0, 0.05, "Share of digits also redrawn the way the Draw page reads a canvas."),
    ("styles", "Continental styles", 1.0, 0.05, "Share of 1s, 5s and 7s also given a flag, crossbar or pen join."),
    ("pen", "Pen polygons", 1.0, 0.05, "Share of digits also retraced as a few straight strokes, like a tablet."),
]


@st.cache_resource
def trainer() -> Trainer:
    """One training slot for the whole server, shared by every session."""
    return Trainer()


@st.cache_data(show_spinner="Loading the data…", max_entries=4)
def preview(source: str, config: AugmentConfig) -> np.ndarray:
    """The preview grid, enlarged 3x; cached so reruns while a job trains do no TensorFlow work."""
    grid = preview_grid(load_mnist(source).x_train[:PREVIEW_DIGITS], config)
    return np.kron(grid, np.ones((3, 3), np.float32))


def data_source() -> str:
    local = default_local_data()
    choice = st.radio("Training data", ["MNIST through Keras (downloads once)", "A local .npz file"],
                      index=1 if local else 0, horizontal=True)
    if choice.startswith("MNIST"):
        return KERAS_SOURCE
    return st.text_input("Path of the .npz (keys x_train, y_train, x_test, y_test)", value=local)


def drawn_choice() -> bool:
    """Whether to learn from the real pen-drawn digits shipped with the app (and read strokes, as the Draw page does)."""
    return st.checkbox(
        "Learn from real pen-drawn digits (24 writers, about 6,000 digits)", value=True, key="learn-drawn",
        help="Each digit is drawn on a canvas and read the way the Draw page reads yours, and joins the "
             "training images; a stroke model learns the same digits from their pen movements. The new "
             "model reads drawings from both, as the shipped one does. Off: MNIST only, pixels only.")


def corrections_choice() -> dict | None:
    """Whether to add the corrections people saved on the Draw page, and how much they weigh."""
    store = CorrectionStore()
    try:
        count = store.count()
    except CorrectionsError as problem:
        st.warning(str(problem))
        return None
    include = st.checkbox(f"Add the {count} saved corrections (Draw page, \"Wrong?\")", value=count > 0,
                          disabled=count == 0, key="include-corrections")
    repeat = st.slider("Times each correction is repeated", 1, 50, 20, disabled=not include, key="corrections-repeat",
                       help="A few dozen drawings among ten thousand digits weigh little unless repeated.")
    return {"path": str(store.path), "repeat": repeat} if include and count else None


def augmentation() -> AugmentConfig:
    columns = st.columns(2)
    values = {}
    for index, (name, label, maximum, step, help_text) in enumerate(SLIDERS):
        values[name] = columns[index % 2].slider(label, 0.0, maximum, float(getattr(DEFAULTS, name)), step,
                                                 help=help_text, key=f"augment-{name}")
    return AugmentConfig(**values)


def show_progress(status: JobStatus) -> None:
    epochs = status.config.epochs
    label = {"loading": "Loading data…", "preparing": "Drawing the pen digits on a canvas…",
             "training": f"Epoch {status.epoch} of {epochs}",
             "strokes": f"Stroke model: epoch {status.epoch} of {status.config.stroke_epochs}",
             "saving": "Saving the model…"}.get(status.state, f"Finished: {epochs} epoch{'s' * (epochs != 1)}")
    st.progress(status.fraction, text=label)
    if len(status.history) > 1:  # one epoch is a single point: no curve to draw
        curve = pd.DataFrame(status.history).set_index("epoch")
        shown = [c for c in ("accuracy", "val_accuracy", "loss", "val_loss") if c in curve]
        st.line_chart(curve[shown], height=220)


def compared_with(status: JobStatus) -> tuple[versions.ModelVersion, str]:
    """The version that was in use when the run started (still, after "Use this model"), and its label."""
    active = versions.active_version_id()
    try:
        baseline = versions.get_version(status.summary.get("compared_with", active))
    except KeyError:  # deleted since: compare with what is in use now
        baseline = versions.get_version(active)
    return baseline, "model in use" if baseline.id == active else f"previous model ({baseline.id})"


def show_result(status: JobStatus) -> None:
    accuracy = status.summary.get("test_accuracy", 0.0)
    baseline, name = compared_with(status)
    left, right = st.columns(2)
    left.metric("Test accuracy, new model", f"{accuracy:.4f}",
                delta=f"{accuracy - baseline.test_accuracy:+.4f}" if baseline.test_accuracy is not None else None)
    right.metric(f"Test accuracy, {name}", f"{baseline.test_accuracy:.4f}" if baseline.test_accuracy else "—")
    on_corrections = status.summary.get("corrections_accuracy")
    if on_corrections:
        before = on_corrections.get("model in use")
        left.metric("Your corrections, new model", f"{on_corrections['new model']:.0%}",
                    delta=f"{on_corrections['new model'] - before:+.0%}" if before is not None else None)
        right.metric(f"Your corrections, {name}", f"{before:.0%}" if before is not None else "—")
    held_out = status.summary.get("held_out_writers")
    if held_out:
        before = baseline.metadata.get("held_out_writers", {}).get("drawing")
        left.metric("Drawings by 6 writers it never saw, new model", f"{held_out.get('drawing', held_out['pixels']):.2%}")
        right.metric(f"The same drawings, {name}", f"{before:.2%}" if isinstance(before, (int, float)) else "—")
    st.caption(f"{status.summary.get('train_seconds', 0):.0f} s, "
               f"{status.summary.get('images_per_second', 0):.0f} images/s. Version {status.version_id}.")
    if st.button("Use this model", type="primary", disabled=versions.active_version_id() == status.version_id):
        change_versions(versions.activate, status.version_id)
    matrix = np.array(status.summary["confusion_matrix"])
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


def job_panel() -> None:
    """Progress of the server's training job, refreshed every second while it runs."""
    job = trainer().job
    if job is None:
        return
    status = job.status
    if not status.running and st.session_state.get("job-seen-finished") is not job:
        # The job ended while only this panel was refreshing: rerun the page once so the
        # version table and the Start button catch up.
        st.session_state["job-seen-finished"] = job
        st.rerun(scope="app")
    if status.running:
        show_progress(status)
        if st.button("Cancel training"):
            job.cancel()
    elif status.state == "done":
        st.success(status.message)
        show_progress(status)
        show_result(status)
    elif status.state == "cancelled":
        st.info(status.message)
    else:
        st.error(f"Training failed: {status.message}")


def versions_table() -> None:
    active = versions.active_version_id()
    rows = [{"version": v.id, "active": v.id == active, "test accuracy": v.test_accuracy,
             "trained on": v.metadata.get("data", {}).get("train_images"),
             "epochs": v.metadata.get("training", {}).get("epochs"), "saved": v.metadata.get("saved_at", "")}
            for v in versions.list_versions()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    ids = [row["version"] for row in rows]
    chosen = st.selectbox("Version", ids, index=ids.index(active) if active in ids else 0)
    use, remove = st.columns(2)
    if use.button("Activate", disabled=chosen == active, width="stretch"):
        change_versions(versions.activate, chosen)
    if remove.button("Delete", disabled=chosen == versions.SHIPPED, width="stretch"):
        change_versions(versions.delete, chosen)


def change_versions(action: Callable[[str], object], version_id: str) -> None:
    """Activate or delete a version, then redraw the page; a folder that cannot be written is reported."""
    try:
        action(version_id)
    except versions.ModelStoreError as problem:
        st.error(str(problem))
        return
    st.rerun()


st.title("Retrain")
get_classifier()  # says so here too if the active model is broken

st.subheader("Data")
source = data_source()
learn_drawn = drawn_choice()
corrections = corrections_choice()

st.subheader("Augmentation")
try:
    config = augmentation()
    st.image(preview(source, config), clamp=True,
             caption="The first training digits as one batch of augmentation varies them")
except (DataError, ValueError) as problem:
    st.error(str(problem))
    st.stop()

st.subheader("Training")
left, right = st.columns(2)
epochs = left.number_input("Epochs", 1, 200, TrainConfig().epochs)
batch_size = right.select_slider("Batch size", [32, 64, 128, 256, 512], 128)

running = trainer().job is not None and trainer().job.status.running
if st.button("Start training", type="primary", disabled=running):
    try:
        settings = TrainConfig(epochs=int(epochs), batch_size=int(batch_size), augment=config, drawn=learn_drawn)
        trainer().start(source, settings, corrections)
    except (JobRunningError, ValueError) as problem:
        st.error(str(problem))
job = trainer().job
st.fragment(job_panel, run_every=1.0 if job is not None and job.status.running else None)()

st.subheader("Model versions")
versions_table()
