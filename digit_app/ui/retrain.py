"""Retrain page: choose data and augmentation, train in the background, judge the result, use it."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from digit_app.database import DatabaseError, Job, corrections_table
from digit_app.database.schema import ACCEPTED, SUGGESTED
from digit_app.jobs.progress import JobStatus, job_status
from digit_app.jobs.trainer import Trainer, trainer_for
from digit_app.store.corrections import default_path
from digit_app.training import TrainConfig, Variations
from digit_app.training.config import STROKE_EPOCHS_PER_EPOCH, CorrectionsToAdd, TrainRequest, default_stroke_epochs
from digit_app.training.augment import preview_grid
from digit_app.settings import ENV_DATA_DIR
from digit_app.training.data import DataError, preview_images
from digit_app.training.sources import data_choices, data_stamp, default_local_data, keep_upload
from digit_app.ui.model_cache import get_classifier
from digit_app.ui.shared_database import shared_database
from digit_app.ui.gate import is_operator, locked_note, operator_panel
from digit_app.ui.text import for_visitors, literal
from digit_app.ui.training_report import show_progress, show_result
from digit_app.ui.version_table import versions_table

PREVIEW_DIGITS = 16
MAX_EPOCHS = 200  # for either model, on this page
UNCLAIMED_AFTER = 5.0  # seconds a job waits before a replica other than its own starts a worker for it
DEFAULTS = Variations()
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


def trainer() -> Trainer:
    """This server's door to the shared training queue (one per process, shared by every session)."""
    return trainer_for(shared_database())


def shown_job() -> Job | None:
    """The job the page shows, from the database: the one running, else the newest (waiting, or ended: its report)."""
    table = trainer().table
    return table.current() or next(iter(table.list(1)), None)


@st.cache_data(show_spinner="Reading the first digits…", max_entries=8)
def first_digits(source: str, stamp: tuple[int, int] | None) -> np.ndarray:
    """The preview's digits, the first of the file only; keyed by its size and time, so a changed file is read again."""
    return preview_images(source, PREVIEW_DIGITS)


@st.cache_data(max_entries=4)
def preview(source: str, stamp: tuple[int, int] | None, config: Variations) -> np.ndarray:
    """The preview grid, enlarged 3x; cached so reruns while a job trains do no TensorFlow work."""
    grid = preview_grid(first_digits(source, stamp), config)
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
        st.error(literal(str(problem)))  # it names the file, and a name is never Markdown
        st.stop()


def drawn_choice() -> bool:
    """Whether to learn from real pen-drawn digits shipped with the app (and read strokes, as the Draw page does)."""
    return st.checkbox(
        "Learn from real pen-drawn digits (24 writers, about 6,000 digits)", value=True, key="learn-drawn",
        help="Each digit is drawn on a canvas and read the way the Draw page reads yours, and joins the "
             "training images; a stroke model learns the same digits from their pen movements. The new "
             "model reads drawings from both, as the shipped one does. Off: MNIST only, pixels only.")


def corrections_choice() -> CorrectionsToAdd | None:
    """Whether to add the accepted corrections people saved on the Draw page, and how much they weigh."""
    try:
        store = corrections_table(shared_database())
        count, waiting = store.count(ACCEPTED), store.count(SUGGESTED)
    except DatabaseError as problem:
        st.warning(for_visitors(str(problem)))
        return None
    include = st.checkbox(f"Add the {count} accepted corrections (Draw page, \"Wrong?\")", value=count > 0,
                          disabled=count == 0, key="include-corrections")
    if waiting:
        st.caption(f"{waiting} suggestion{'' if waiting == 1 else 's'} from visitors wait on the Corrections page: "
                   "training learns only the corrections the operator accepted.")
    repeat = st.slider("Times each correction is repeated", 1, 50, 20, disabled=not include, key="corrections-repeat",
                       help="A few dozen drawings among ten thousand digits weigh little unless repeated.")
    return CorrectionsToAdd(default_path(), repeat) if include and count else None


def augmentation() -> Variations:
    columns = st.columns(2)
    values = {}
    for index, (name, label, maximum, step, unit, help_text) in enumerate(SLIDERS):
        shown = columns[index % 2].slider(label, 0, maximum, int(round(getattr(DEFAULTS, name) * unit)), step,
                                          help=help_text, key=f"augment-{name}")
        values[name] = shown / unit
    return Variations(**values)


def stroke_epochs_follow() -> None:
    """Epochs changed: the stroke model's follow in proportion, unless the person chose them apart."""
    if not st.session_state.get("stroke-epochs-chosen"):
        st.session_state["stroke-epochs"] = min(MAX_EPOCHS, default_stroke_epochs(int(st.session_state["epochs"])))


def stroke_epochs_chosen() -> None:
    """The stroke model's epochs were set by hand: Epochs no longer moves them."""
    st.session_state["stroke-epochs-chosen"] = True


def job_state(job: Job | None) -> tuple[int | None, bool]:
    """Which job the page shows, and whether it waits or runs: what the page was drawn for."""
    return (None, False) if job is None else (job.id, job_status(job).running)


def job_panel(drawn_for: tuple[int | None, bool]) -> None:
    """The shown job's progress, read from the database every second or two in every tab of every replica."""
    try:
        job = shown_job()
        if job_state(job) != drawn_for:
            # A run started (here, in another session or on another replica) or ended since the page was drawn:
            # draw all of it again, so the Start button, the report and the version table catch up.
            st.rerun(scope="app")
        if job is None:
            return
        if job.state == "queued" and time.time() - job.created > UNCLAIMED_AFTER:
            trainer().run_waiting()  # no trainer alive (any more), nor the worker of the replica that queued it
        status_panel(job_status(job), job.cancel_requested)
    except DatabaseError as problem:  # PostgreSQL restarting: say so; the next refresh reconnects
        st.warning(for_visitors(str(problem)))
    except OSError as problem:
        st.error(for_visitors(str(problem)))


def status_panel(status: JobStatus, cancel_asked: bool) -> None:
    """A job as it stands: progress and Cancel while it waits or runs, else how it ended."""
    if status.running:
        show_progress(status)
        pressed = not cancel_asked and st.button("Cancel training", disabled=not is_operator()) and is_operator()
        if cancel_asked or (pressed and trainer().table.cancel(status.job_id)):
            st.info("Cancel asked: training stops after the current batch.")
    elif status.state == "done":
        st.success(status.message)
        show_progress(status)
        show_result(status)
    elif status.state == "cancelled":
        st.info(status.message)
    else:
        st.error(f"Training failed: {literal(status.message)}")


st.title("Retrain")
get_classifier()  # says so here too if the active model is broken
operator_panel()
try:
    drawn_for = job_state(shown_job())
except DatabaseError as problem:
    st.error(for_visitors(str(problem)))
    drawn_for = (None, False)
running = drawn_for[1]
if not running:
    st.session_state.pop("started-here", None)
    if is_operator():
        try:  # the worker loads TensorFlow while the operator chooses settings: Start then trains at once
            trainer().warm()
        except (DatabaseError, OSError) as problem:
            st.warning(for_visitors(str(problem)))
# A run under way is the first thing a person arriving sees; who started it sees it under Start.
progress_on_top = running and not st.session_state.get("started-here")
if progress_on_top:
    st.subheader("Training now")
    st.fragment(job_panel, run_every=1.0)(drawn_for)

st.subheader("Data")
source = data_source()
learn_drawn = drawn_choice()
corrections = corrections_choice()

st.subheader("Augmentation")
try:
    config = augmentation()
    st.image(preview(source, data_stamp(source), config), clamp=True,
             caption="The first training digits as one batch of augmentation varies them")
except (DataError, ValueError) as problem:
    st.error(literal(str(problem)))
    st.stop()

st.subheader("Training")
left, middle = st.columns(2)
epochs = left.number_input("Epochs", 1, MAX_EPOCHS, TrainConfig().epochs, key="epochs", on_change=stroke_epochs_follow,
                           help="Passes of the pixel CNN over the training images.")
st.session_state.setdefault("stroke-epochs", min(MAX_EPOCHS, default_stroke_epochs(int(epochs))))
stroke_epochs = middle.number_input("Stroke model epochs", 1, MAX_EPOCHS, key="stroke-epochs", disabled=not learn_drawn,
                                    on_change=stroke_epochs_chosen,
                                    help="Passes of the stroke model over the pen digits, after the pixel CNN: it "
                                         "reads a drawing's strokes on the Draw page. They follow Epochs "
                                         f"({STROKE_EPOCHS_PER_EPOCH:g} for each) until you change them.")
batch_size = st.segmented_control("Batch size, images", [32, 64, 128, 256, 512], default=128, key="batch-size",
                                  help="Images per training step: larger is faster per epoch, smaller "
                                       "often generalises a little better.") or 128

if st.button("Start training", type="primary", disabled=running or not is_operator(),
             help="One training at a time for every server; every session sees it and can cancel it."):
    try:
        if not is_operator():
            raise ValueError("Only the operator may start training: unlock in the sidebar.")
        settings = TrainConfig(epochs=int(epochs), batch_size=int(batch_size), augment=config, drawn=learn_drawn,
                               stroke_epochs=int(stroke_epochs))
        st.session_state["started-here"] = trainer().start(TrainRequest(source, settings, corrections))
        st.rerun()  # the whole page again: Start disabled, the last run's report gone
    except (DatabaseError, OSError, ValueError) as problem:
        st.error(for_visitors(str(problem)))
if not is_operator():
    locked_note("Training")
if not progress_on_top:
    # Every tab looks every second or two, so a run started in another session or replica shows here too.
    st.fragment(job_panel, run_every=1.0 if running else 2.0)(drawn_for)

st.subheader("Model versions")
versions_table()
