"""Ink on paper: how much darker than its paper each pixel is, and which pixels are ink.

The paper's own brightness is measured around each pixel (a closing wipes the writing off it), so
uneven light and shadows divide out; ink then stands out of the paper's grain. Used by
`digit_app.photo` on a whole page, and by `digit_app.photos.synthetic` on the lines it composes to
train the line reader, so that both see ink found the same way.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.filters import apply_hysteresis_threshold, threshold_otsu
from skimage.morphology import skeletonize

from digit_app.photos import filters

PAPER_WINDOW = 1 / 12  # the paper's brightness is measured over windows this share of the longer side
GRAIN_SIGMA = 1.0  # sensor grain is smoothed over about a pixel before anything else
PAPER_SMOOTHING = 2.0  # px: the paper's brightness is measured on the photo smoothed this much more
STROKE_WINDOW = 0.015  # strokes are thinner than this share of the page's longer side
POLARITY_SIDE = 300  # px: the polarity is judged on every second pixel of pictures at least twice this size
BOARD_MARGIN = 1.5  # light writing must stick out this many times more than dark (most photos are of paper)
GRAIN_TIMES = 3.0  # marks stick out of the grain by more than this many times its typical height
MIN_INK_CONTRAST = 0.2  # darker than the paper around it by less than this is paper, not ink
MIN_SPECK_AREA = 0.1  # ink blobs smaller than this share of the largest one are grain
FAINT_INK = 0.7  # read_photo: pixels this share of the ink's level are ink where they join darker ink
GRAIN_HIGH, GRAIN_LOW = 8.0, 4.0  # read_photo: ink stands out of the paper's grain by this many spreads (faint: low)


def ink_darkness(grey: np.ndarray, board: bool | None = None) -> np.ndarray:
    """How much darker than the paper around it each pixel is, in [0, 1]; light writing on a dark board is turned over.

    `board` says whether it is light writing on a dark ground; None: judged from the picture.

    Ink is thinner than the window, so a closing (the brightest pixel nearby, then the darkest of
    those) is the paper without the writing; a shadow wider than the window stays in it, with its
    edge where it is. Dividing by it evens out the light.
    """
    if _light_on_dark(grey) if board is None else board:
        grey = 1.0 - grey
    return np.clip(1.0 - grey / np.maximum(_paper(grey), 1e-3), 0.0, 1.0)


def _paper(grey: np.ndarray) -> np.ndarray:
    """The paper's own brightness: the picture with its writing wiped off by closings.

    At the picture's edge a closing cannot see the light falling further off it, and would take
    the paper there for as bright as it is a window inside: so the picture (its thin strokes
    wiped off first) is carried on past its edges the way its light runs (an odd reflection).
    """
    window = max(3, int(max(grey.shape) * PAPER_WINDOW))
    stroke = max(3, int(max(grey.shape) * STROKE_WINDOW))
    wiped = filters.closing(filters.gaussian(grey, PAPER_SMOOTHING), (stroke, stroke))
    carried = np.clip(np.pad(wiped, window, mode="reflect", reflect_type="odd"), 0.0, 1.0)
    return filters.closing(carried, (window, window))[window:-window, window:-window]


def _light_on_dark(grey: np.ndarray) -> bool:
    """Whether the writing is lighter than its ground: thin marks stick out of it upwards more than down.

    A closing less the picture keeps what is darker than its surroundings and thinner than the
    window (ink on paper), the picture less an opening what is lighter (chalk on a board); grain
    adds about as much to both (and only marks well above it are counted), and a shadow's edge to
    neither. Small writing's paper between its strokes sticks out upwards too, so light writing
    must win clearly. Not the median brightness: paper in dim light is dark too, with dark ink on it.
    """
    grey = grey[::2, ::2] if min(grey.shape) >= 2 * POLARITY_SIDE else grey  # a question about the whole: half will do
    size = max(3, int(max(grey.shape) * STROKE_WINDOW))
    darker = filters.closing(grey, (size, size)) - grey
    lighter = grey - filters.opening(grey, (size, size))
    grain = GRAIN_TIMES * float(np.median(darker) + np.median(lighter))  # what grain alone reaches, about
    return float(np.clip(lighter - grain, 0, None).sum()) > BOARD_MARGIN * float(np.clip(darker - grain, 0, None).sum())


def ink_level(darkness: np.ndarray) -> float:
    """The darkness above which a pixel is ink: Otsu's level, and never below MIN_INK_CONTRAST."""
    if darkness.max() < MIN_INK_CONTRAST:
        return MIN_INK_CONTRAST
    return max(MIN_INK_CONTRAST, float(threshold_otsu(darkness)))


def paper_grain(darkness: np.ndarray) -> tuple[float, float]:
    """(typical darkness of the paper, spread of its grain): the median and a robust standard deviation.

    Measured on every third pixel each way: the grain is everywhere.
    """
    sample = darkness[::3, ::3]
    middle = float(np.median(sample))
    return middle, 1.4826 * float(np.median(np.abs(sample - middle)))


def ink_mask(darkness: np.ndarray, min_mark: float = 0.0, hysteresis: bool = False) -> np.ndarray:
    """The ink: pixels clearly darker than their paper, without grain (blobs under MIN_SPECK_AREA of the
    largest, or shorter and narrower than `min_mark` pixels). All False when there is no ink.

    With `hysteresis`, the ink also stands out of the paper's own grain (by GRAIN_HIGH of its
    spread; a dim photo is grainy), and fainter pixels (down to FAINT_INK of the level, and
    GRAIN_LOW spreads) are ink too where they join clearly dark ones: a thin pen stroke that
    fades for a moment is not cut in two.
    """
    level = ink_level(darkness)
    if hysteresis:
        paper, spread = paper_grain(darkness)
        high = max(level, paper + GRAIN_HIGH * spread)
        mask = apply_hysteresis_threshold(darkness, max(FAINT_INK * high, paper + GRAIN_LOW * spread), high)
    else:
        mask = darkness > level
    labels, count = ndimage.label(mask)
    if not count:
        return mask
    areas = np.bincount(labels.ravel())[1:]
    extents = np.array([max(b[0].stop - b[0].start, b[1].stop - b[1].start) for b in ndimage.find_objects(labels)])
    keep = (areas >= MIN_SPECK_AREA * areas.max()) & (extents >= min_mark)
    return np.concatenate([[False], keep])[labels]


def thinned(marks: np.ndarray, radius: float) -> np.ndarray:
    """The marks redrawn from their centre lines with a pen `radius` pixels wide either side (at least one).

    A thick pen fills a small digit's loops and makes close digits touch; `split_digits` then
    cuts them worse.
    """
    return ndimage.distance_transform_edt(~skeletonize(marks)) <= max(1.0, radius)


def stroke_width(marks: np.ndarray) -> float:
    """How wide the strokes of a boolean ink map are, on average, in pixels: their area over their centre lines'
    length (0 without ink)."""
    length = int(skeletonize(marks).sum())
    return float(marks.sum()) / length if length else 0.0


LINE_PEN = 0.03  # a line's strokes are redrawn this share of its height from their centre lines
LINE_HEIGHT = 64  # px: a line of writing is read at most this tall ...
LINE_AREA = 320 * 320  # ... and at most this many pixels in all


def line_picture(marks: np.ndarray) -> tuple[np.ndarray, float]:
    """(the line's picture, the scale it was drawn at): one line's ink mask redrawn from its centre lines with a
    pen LINE_PEN of its height, white on black float32, averaged down to at most LINE_HEIGHT high.

    The same picture for a photo's line (`digit_app.photo`) and a composed one (`digit_app.photos.synthetic`).
    """
    from PIL import Image

    drawn = thinned(marks, LINE_PEN * marks.shape[0]).astype(np.float32)
    scale = min(1.0, LINE_HEIGHT / drawn.shape[0], np.sqrt(LINE_AREA / drawn.size))
    if scale >= 1:
        return drawn, 1.0
    size = (max(1, round(drawn.shape[1] * scale)), max(1, round(drawn.shape[0] * scale)))
    return np.asarray(Image.fromarray(drawn).resize(size, Image.Resampling.BOX), np.float32), scale
