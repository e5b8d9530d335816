"""Retrain page: choose data and augmentation, train in the background, judge the result, use it."""

from __future__ import annotations

import time

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from digit_app.serving.jobs import JobRunningError, JobStatus, Trainer, time_left
from digit_app.store import versions
from digit_app.store.corrections import CorrectionsError, CorrectionStore
from digit_app.training import AugmentConfig, TrainConfig
from digit_app.training.augment import preview_grid
from digit_app.training.data import ENV_DATA_DIR, DataError, data_choices, keep_upload, load_mnist
from digit_app.ui.common import default_local_data, get_classifier
from digit_app.ui.gate import is_operator, locked_note, operator_panel

PREVIEW_DIGITS = 16
DEFAULTS = AugmentConfig()
# (field, label, maximum shown, step, shown per unit, help) for each augmentation slider; shares are shown in %
SLIDERS = [
    ("rotation", "Turn, degrees either way", 45, 1, 1,
     "Each digit is turned by up to this many degrees, left or right."),
    ("shift", "Move, % of the image", 30, 1, 100, "Each digit is moved by up to this share of the image, any way."),
    ("zoom", "Resize, % bigger or smaller", 50, 1, 100, "Each digit is made up to this much bigger or smaller."),
    ("stretch", "Widen or narrow, %", 50, 1, 100, "Each digit is made up to this much wider or narrower."),
    ("shear", "Slant, % of the height", 60, 1, 100, "Each digit leans by up to this share of its height."),
    ("elastic", "Wobble, %", 100, 5, 100, "A smooth random wobble, like an unsteady hand; 100% is about 1.5 px."),
    ("thickness", "Stroke thickness, %", 100, 5, 100,
     "Strokes made thinner or thicker: at 100%, up to 2 px thicker or 1 px thinner (of 28)."),
    ("noise", "Speckle, % of white", 30, 1, 100, "Random grey speckle added to every pixel."),
    ("redraw", "Also redrawn as a canvas drawing, % of digits", 100, 5, 100,
     "This share of digits is added again, redrawn the way the Draw page reads a drawing."),
    ("styles", "Also written the continental way, % of 1s, 5s, 7s", 100, 5, 100,
     "This share of 1s, 5s and 7s is added again with a flag, a crossbar or a joined stroke."),
    ("pen", "Also retraced as pen strokes, % of digits", 100, 5, 100,
     "This share of digits is added again, retraced as a few straight strokes, as a tablet records them."),
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


UPLOAD = "Upload an .npz…"


def data_source() -> str:
    """The training data: one of the sources the operator offers (`data_choices`), or a file the operator uploads."""
    choices = data_choices([default_local_data()])
    options = [*choices, UPLOAD] if is_operator() else list(choices)
    local = next((label for label, source in choices.items() if source == default_local_data()), None)
    label = st.selectbox("Training data", options, index=options.index(local) if local else 0, key="data-source",
                         help="MNIST through Keras, or an .npz with x_train, y_train, x_test and y_test (28x28 "
                              f"digits and their labels) in the data folder ({ENV_DATA_DIR} sets it).")
    if label != UPLOAD:
        return choices[label]
    upload = st.file_uploader("An .npz with x_train, y_train, x_test and y_test", type=["npz"], key="data-upload")
    if upload is None:
        st.info("Choose a file to train on: it is checked, then kept in the data folder's uploads.")
        st.stop()
    try:
        return str(keep_upload(upload.getvalue()))
    except DataError as problem:
        st.error(str(problem))
        st.stop()


def drawn_choice() -> bool:
    """Whether to learn from real pen-drawn digits shipped with the app (and read strokes, as the Draw page does)."""
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
    for index, (name, label, maximum, step, unit, help_text) in enumerate(SLIDERS):
        shown = columns[index % 2].slider(label, 0, maximum, int(round(getattr(DEFAULTS, name) * unit)), step,
                                          help=help_text, key=f"augment-{name}")
        values[name] = shown / unit
    return AugmentConfig(**values)


def show_progress(status: JobStatus) -> None:
    epochs = status.config.epochs
    label = {"loading": "Loading data…",
             "preparing": f"Drawing the pen digits on a canvas: {status.prepared:.0%}",
             "training": f"Epoch {status.epoch} of {epochs}",
             "strokes": f"Stroke model: epoch {status.epoch} of {status.config.stroke_epochs}",
             "saving": "Saving the model…"}.get(status.state, f"Finished: {epochs} epoch{'s' * (epochs != 1)}")
    now = time.time()
    if status.running:
        left = time_left(status, now)
        minutes, seconds = divmod(round(left or 0), 60)
        label += (f" · {now - status.started:.0f} s so far" if left is None
                  else f" · about {minutes} min {seconds:02d} s left" if minutes else f" · about {seconds} s left")
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
    active = versions.active_version_id()
    try:
        baseline = versions.get_version(status.summary.get("compared_with", active))
    except KeyError:  # deleted since: compare with what is in use now
        baseline = versions.get_version(active)
    return baseline, "model in use" if baseline.id == active else f"previous model ({baseline.id})"


def change(new: float | None, old: float | None) -> str | None:
    """A metric's badge: the change in percentage points, or none when there is nothing to compare or no change."""
    if not isinstance(new, (int, float)) or not isinstance(old, (int, float)) or round((new - old) * 100, 2) == 0:
        return None
    return f"{(new - old) * 100:+.2f} points"


def percent(value: float | None) -> str:
    return f"{value:.2%}" if isinstance(value, (int, float)) else "—"


def show_result(status: JobStatus) -> None:
    accuracy = status.summary.get("test_accuracy", 0.0)
    baseline, name = compared_with(status)
    left, right = st.columns(2)
    left.metric("MNIST test accuracy, new model", percent(accuracy), delta=change(accuracy, baseline.test_accuracy))
    right.metric(f"MNIST test accuracy, {name}", percent(baseline.test_accuracy))
    on_corrections = status.summary.get("corrections_accuracy")
    if on_corrections:
        before = on_corrections.get("model in use")
        left.metric("Your corrections, new model", percent(on_corrections["new model"]),
                    delta=change(on_corrections["new model"], before))
        right.metric(f"Your corrections, {name}", percent(before))
    held_out = status.summary.get("held_out_writers")
    new_drawings = before_drawings = None
    if held_out:
        new_drawings = held_out.get("drawing", held_out.get("pixels"))
        before_drawings = (baseline.metadata.get("held_out_writers") or {}).get("drawing")
        left.metric("Drawings by 6 writers it never saw, new model", percent(new_drawings),
                    delta=change(new_drawings, before_drawings))
        right.metric(f"The same drawings, {name}", percent(before_drawings))
    st.caption(f"Trained in {status.summary.get('train_seconds', 0):.0f} s at "
               f"{status.summary.get('images_per_second', 0):.0f} images a second. Version {status.version_id}.")
    if versions.active_version_id() == status.version_id:
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


def job_state() -> tuple[int, bool]:
    """Which job the server has, and whether it runs: what the page was drawn for."""
    job = trainer().job
    return id(job), job is not None and job.status.running


def job_panel(drawn_for: tuple[int, bool]) -> None:
    """Progress of the server's training job, refreshed every second or two in every tab."""
    if job_state() != drawn_for:
        # A run started (here or in another session) or ended since the page was drawn: draw
        # all of it again, so the Start button, the report and the version table catch up.
        st.rerun(scope="app")
    job = trainer().job
    if job is None:
        return
    status = job.status
    if status.running:
        show_progress(status)
        if st.button("Cancel training", disabled=not is_operator()) and is_operator():
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
    """Every kept model; actions name the version they act on, as the person saw it when the page was drawn."""
    active = versions.active_version_id()
    rows = [{"version": v.id, "in use": v.id == active, "MNIST test accuracy": percent(v.test_accuracy),
             "drawings by unseen writers": percent((v.metadata.get("held_out_writers") or {}).get("drawing")),
             "reads strokes": bool(v.metadata.get("held_out_writers")),
             "epochs": (v.metadata.get("training") or {}).get("epochs"), "saved": v.metadata.get("saved_at", "")}
            for v in versions.list_versions()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
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
            raise versions.ModelStoreError("Only the operator may activate or delete versions: unlock in the sidebar.")
        versions.get_version(version_id)
        if action == "activate":
            versions.activate(version_id)
            message = f"{version_id} is now the model in use."
        elif versions.active_version_id() == version_id:
            raise versions.ModelStoreError(f"{version_id} is the model in use: activate another version first.")
        else:
            versions.delete(version_id)
            message = f"Deleted {version_id}."
    except KeyError:
        outcome = ("error", f"Version {version_id} is gone (deleted in another session); the list is up to date now.")
    except versions.ModelStoreError as problem:
        outcome = ("error", str(problem))
    else:
        outcome = ("success", message)
    st.session_state.pop("confirm-use", None)
    st.session_state.pop("confirm-delete", None)
    st.session_state["version-outcome"] = outcome


st.title("Retrain")
get_classifier()  # says so here too if the active model is broken
operator_panel()

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
epochs = left.number_input("Epochs", 1, 200, TrainConfig().epochs,
                           help="Passes over the training images; the stroke model learns for its own 30.")
batch_size = right.segmented_control("Batch size, images", [32, 64, 128, 256, 512], default=128, key="batch-size",
                                     help="Images per training step: larger is faster per epoch, smaller "
                                          "often generalises a little better.") or 128

running = trainer().job is not None and trainer().job.status.running
if st.button("Start training", type="primary", disabled=running or not is_operator(),
             help="One training at a time on this server; every session sees it and can cancel it."):
    try:
        if not is_operator():
            raise ValueError("Only the operator may start training: unlock in the sidebar.")
        settings = TrainConfig(epochs=int(epochs), batch_size=int(batch_size), augment=config, drawn=learn_drawn)
        trainer().start(source, settings, corrections)
        st.rerun()  # the whole page again: Start disabled, the last run's report gone
    except (JobRunningError, ValueError) as problem:
        st.error(str(problem))
if not is_operator():
    locked_note("Training")
job = trainer().job
# Every tab looks every second or two, so a run started in another session shows here too.
st.fragment(job_panel, run_every=1.0 if job is not None and job.status.running else 2.0)(job_state())

st.subheader("Model versions")
versions_table()
