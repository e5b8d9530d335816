"""Turn a drawing or image of one digit into the 28x28 input an MNIST model expects.

MNIST digits were made by fitting each digit into a 20x20 box (aspect ratio kept, anti-aliased)
and moving its centre of mass to the centre of a 28x28 field, written with a pen about 2 px wide
at that scale. A canvas drawing sits anywhere, at any size, drawn with a 5 to 40 px brush. So we
rebuild it the MNIST way: find the ink, drop specks, thin the strokes to their centre lines and
redraw them with an MNIST-sized pen, fit the result into the box, and centre it by mass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digit_app.errors import DigitAppError
from digit_app.sizes import MNIST_SIDE as MNIST_SIZE

# SciPy's ndimage and scikit-image's skeletonize are imported by the functions that use them, at the first drawing
# read, not with this module: the Draw page's first run reads nothing, and a server starts without them (warm_up.py).

BOX_SIZE = 20  # MNIST fits each digit into a 20x20 box ...
CENTRE = 14.0  # ... and puts its centre of mass here (pixel-centre coordinates, measured)
PEN_WIDTH = 2.4  # pen width in output pixels; MNIST's median stroke above 0.5 is ~2.2 px
SUPERSAMPLE = 4  # the digit is redrawn at 4x and averaged down, which anti-aliases it
WORK_SIZE = 96  # longer side of a drawing while its strokes are thinned to centre lines
MAX_INPUT_SIDE = 320  # bigger images (a 2x-DPI canvas, a photo) are averaged down to about 320x320 pixels
INK_THRESHOLD = 0.5  # ink above this counts as stroke
MIN_CONTRAST = 0.15  # a difference smaller than this from the background is not ink
SPECK_LENGTH = 2.5  # a blob shorter than this many stroke widths is a speck ...
SPECK_AREA = 0.02  # ... and so is anything under 2% of the largest stroke's area
# What one digit is not (measured on 3,000 MNIST digits and 2,000 pen digits drawn on a canvas):
MIN_LENGTH = 2.5  # a digit is at least ~3 stroke widths long; a dot or a filled blob is ~2
MAX_SKELETON = 5.0  # a digit's centre lines add up to at most ~4.2 times its size; scribbles more
# Ink over most of the square around it, across half the canvas or more, is a filled-in scribble:
# pen digits drawn 140 px tall with the widest brush (40 px) and MNIST digits on a canvas cover at
# most 0.65 of that square (a thick 1 fills its own narrow box, so the square is measured).
FILLED_EXTENT, FILLED_SHARE = 0.5, 0.8
DIGIT_HEIGHT = 0.5  # side-by-side groups of strokes this share of the drawing's height are digits
DIGIT_OVERLAP = 0.75  # in a whole number, strokes one digit overlap by this share of the narrower's width
# In a whole number, strokes wider than 1.5 digits and than 1.1 times their height are digits
# touching, where a digit is as wide as the number's other digits, or 0.6 of its height (MNIST's
# usual shape). Chosen on pen digits written close together and numbers in handwriting fonts.
MAX_DIGIT_WIDTHS, MAX_DIGIT_ASPECT, TYPICAL_WIDTH = 1.5, 1.1, 0.6

_EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)
NOTHING_DRAWN = "Nothing is drawn: the image has no ink to read."


class EmptyDrawingError(DigitAppError, ValueError):
    """Raised when an image holds no ink to read: an empty canvas or a blank page."""


class UnreadableDrawingError(DigitAppError, ValueError):
    """Raised when there is ink but not one digit: a dot, a filled blob, a scribble, several digits."""


def to_mnist(image: np.ndarray) -> np.ndarray:
    """Return the (28, 28) float32 MNIST-style input, white digit on black, values in [0, 1].

    `image` is an (H, W, 4) RGBA canvas (transparent or filled background), an (H, W, 3) RGB or
    an (H, W) grey image of any size and either polarity. Raises `EmptyDrawingError` when
    nothing is drawn, `UnreadableDrawingError` when what is drawn cannot be one digit, and
    `ValueError` for arrays that are not images.
    """
    from skimage.morphology import skeletonize
    full = ink_map(image)
    ink = _crop_to_strokes(full)  # most of a canvas is empty: work on the part with ink
    strokes = _remove_specks(ink)
    _check_one_digit(strokes, min(full.shape))
    work = _crop_to_work_size(ink * strokes)
    skeleton = skeletonize(work)
    if skeleton.sum() > MAX_SKELETON * WORK_SIZE:
        raise UnreadableDrawingError("That looks like a scribble, not a digit: clear the canvas and draw one digit.")
    if not skeleton.any():  # a blob too small to thin: keep it whole
        skeleton = work
    return draw_centre_line(np.argwhere(skeleton).astype(np.float32))


def ink_map(image: np.ndarray) -> np.ndarray:
    """Float32 ink strength in [0, 1] (1 = darkest stroke) whatever the format and polarity."""
    picture = _as_picture(image)
    if picture.mode == "RGBA":
        alpha = np.asarray(picture.getchannel("A"))
        if alpha.min() < 250:  # transparent background: what is opaque is what was drawn
            return _stretch(alpha.astype(np.float32))
    grey = np.asarray(picture.convert("L"), dtype=np.float32)
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = float(np.median(border))
    if background < 127.5:  # light ink on a dark ground
        grey -= background
    else:
        np.subtract(background, grey, out=grey)
    return _stretch(grey)


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels of a binary drawing: twice its area over its outline length."""
    area = int(mask.sum())
    if area == 0:
        return 0.0
    # The interior: pixels whose four neighbours are ink too (a binary erosion, in slices: 10x faster).
    interior = (mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]).sum()
    return 2.0 * area / max(area - int(interior), 1)


def _as_picture(image: np.ndarray) -> Image.Image:
    """Any numeric image array as an 8-bit PIL image (L, RGB or RGBA), big ones averaged down."""
    array = np.asarray(image)
    if array.size == 0 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got an array of shape {array.shape}"
        )
    if array.dtype != np.uint8:
        if array.dtype == bool:
            array = array.astype(np.float32)
        elif np.issubdtype(array.dtype, np.integer):
            array = array.astype(np.float32) / float(np.iinfo(array.dtype).max)
        elif np.issubdtype(array.dtype, np.floating):
            array = np.nan_to_num(array.astype(np.float32))
            if array.max() > 1.0:  # floats on a 0..255 scale
                array = array / 255.0
        else:
            raise ValueError(f"expected a numeric image, got dtype {array.dtype}")
        array = np.rint(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    picture = Image.fromarray(np.ascontiguousarray(array))
    factor = int(np.ceil(np.sqrt(picture.size[0] * picture.size[1]) / MAX_INPUT_SIDE))
    return picture.reduce(factor) if factor > 1 else picture


def _stretch(ink: np.ndarray) -> np.ndarray:
    """Ink on a 0-255 scale (a float32 array, changed in place) scaled so its darkest stroke is 1."""
    top = float(ink.max())
    if top < MIN_CONTRAST * 255:
        raise EmptyDrawingError(NOTHING_DRAWN)
    np.maximum(ink, 0.0, out=ink)
    ink *= 1.0 / top
    return ink


def _remove_specks(ink: np.ndarray) -> np.ndarray:
    """Binary mask of the digit's strokes, without stray dots and dust."""
    from scipy import ndimage
    mask = ink > INK_THRESHOLD
    labels, count = ndimage.label(mask, structure=_EIGHT_NEIGHBOURS)
    if count == 0:
        raise EmptyDrawingError(NOTHING_DRAWN)
    if count == 1:
        return mask
    areas = np.bincount(labels.ravel())[1:]
    boxes = ndimage.find_objects(labels)
    lengths = np.array([max(s.stop - s.start for s in box) for box in boxes])
    largest = int(np.argmax(areas))
    width = stroke_width(labels[boxes[largest]] == largest + 1)
    keep = (lengths >= SPECK_LENGTH * width) & (areas >= SPECK_AREA * areas[largest])
    keep[largest] = True
    return np.concatenate([[False], keep])[labels]


def split_digits(image: np.ndarray) -> list[np.ndarray]:
    """Crops of each digit in a drawing of a whole number, left to right, each ready for `to_mnist`.

    Strokes that overlap left to right by 3/4 of the narrower one's width are one digit (a 4 drawn
    in two strokes, a 5's separate bar), so slanted neighbours stay apart; short marks beside a
    digit join the nearest one; a group much wider than a digit is tall (digits written touching)
    is cut where its ink is thinnest. Each crop is float32 ink in [0, 1], white on black, with a
    margin. Raises `EmptyDrawingError` when nothing is drawn.
    """
    from scipy import ndimage
    ink = ink_map(image)
    strokes = _remove_specks(ink)
    labels, _ = ndimage.label(strokes, structure=_EIGHT_NEIGHBOURS)
    groups = _stroke_groups(labels, gap=0.0, min_overlap=DIGIT_OVERLAP)
    rows, _ = _ink_box(strokes)
    height = rows.stop - rows.start
    digits = [group for group in groups if group.tallest >= DIGIT_HEIGHT * height] or groups
    for mark in (group for group in groups if group not in digits):  # a bar, a dot: to the nearest digit
        min(digits, key=lambda digit: abs(digit.centre - mark.centre)).absorb(mark)
    # How wide one digit is in this number: the median of groups shaped like one digit (not a 1,
    # not several), else a usual share of the height.
    single = [digit.width for digit in digits if 0.4 <= digit.width / digit.height <= 1.0]
    digit_width = float(np.median(single)) if single else TYPICAL_WIDTH * height
    margin = max(2, int(round(stroke_width(strokes))))
    crops = []
    for digit in digits:
        own_ink = (ink * np.isin(labels, digit.members))[:, digit.left : digit.right]
        bounds = _cut_touching(own_ink, digit_width, digit.height)
        for start, stop in zip(bounds[:-1], bounds[1:]):
            if own_ink[:, start:stop].any():
                crops.append(np.pad(_crop_to_ink(own_ink[:, start:stop]), margin))
    return crops


@dataclass
class _Group:
    """Connected strokes taken as one digit: their box and their labels in the labelled image."""

    left: int
    right: int
    top: int
    bottom: int
    members: list[int]
    tallest: int  # the height of its tallest stroke: stacked marks (an "=") do not make a digit

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2

    def absorb(self, other: _Group) -> None:
        self.left, self.right = min(self.left, other.left), max(self.right, other.right)
        self.top, self.bottom = min(self.top, other.top), max(self.bottom, other.bottom)
        self.members += other.members
        self.tallest = max(self.tallest, other.tallest)


def _stroke_groups(labels: np.ndarray, gap: float, min_overlap: float = 0.0) -> list[_Group]:
    """Connected strokes grouped left to right where they overlap, or nearly.

    A stroke joins the group before it when it starts less than `gap` pixels after that group
    ends and their columns overlap by at least `min_overlap` of the narrower one's width.
    """
    from scipy import ndimage
    boxes = sorted((box[1].start, box[1].stop, box[0].start, box[0].stop, label)
                   for label, box in enumerate(ndimage.find_objects(labels), start=1))
    groups: list[_Group] = []
    for left, right, top, bottom, label in boxes:
        stroke = _Group(left, right, top, bottom, [label], bottom - top)
        if groups:
            last = groups[-1]
            overlap = min(last.right, right) - left  # negative for a gap
            if left <= last.right + gap and (not min_overlap or overlap >= min_overlap * min(last.width, right - left)):
                last.absorb(stroke)
                continue
        groups.append(stroke)
    return groups


def _cut_touching(ink: np.ndarray, digit_width: float, height: int) -> list[int]:
    """Where to cut one group of strokes into digits `digit_width` wide: column bounds [0, cut, ..., width]."""
    span = ink.shape[1]
    if span <= MAX_DIGIT_WIDTHS * digit_width or span <= MAX_DIGIT_ASPECT * height:
        return [0, span]
    count = max(2, int(round(span / digit_width)))
    column_ink = ink.sum(axis=0)
    cuts, window = [0], span / count / 3
    for index in range(1, count):
        low, high = int(index * span / count - window), int(index * span / count + window) + 1
        cuts.append(low + int(np.argmin(column_ink[low:high])))
    return [*cuts, span]


def _crop_to_strokes(ink: np.ndarray) -> np.ndarray:
    """The box around the ink above INK_THRESHOLD, with a 1-pixel margin; all that `to_mnist` reads."""
    mask = ink > INK_THRESHOLD
    if not mask.any():
        raise EmptyDrawingError(NOTHING_DRAWN)
    return np.pad(ink[_ink_box(mask)], 1)


def _crop_to_ink(ink: np.ndarray) -> np.ndarray:
    return ink[_ink_box(ink)]


def _ink_box(ink: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns of the smallest box holding every non-zero pixel (there must be one)."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _check_one_digit(strokes: np.ndarray, image_side: int) -> None:
    """Refuse a dot or a blob (too short for its thickness), ink filling the canvas, and several digits side by side."""
    from scipy import ndimage
    rows, cols = _ink_box(strokes)
    strokes = np.pad(strokes[rows, cols], 1)  # less to scan
    height = rows.stop - rows.start
    extent = max(height, cols.stop - cols.start)
    if extent >= FILLED_EXTENT * image_side and strokes.sum() > FILLED_SHARE * extent * extent:
        raise UnreadableDrawingError("That fills the canvas with ink: clear it and draw one digit with a few strokes.")
    width = stroke_width(strokes)
    if extent < MIN_LENGTH * width:
        raise UnreadableDrawingError("That is only a dot or a blob: draw the strokes of a digit.")
    labels, _ = ndimage.label(strokes, structure=_EIGHT_NEIGHBOURS)
    digits = sum(group.tallest >= DIGIT_HEIGHT * height for group in _stroke_groups(labels, gap=width))
    if digits > 1:
        raise UnreadableDrawingError(f"That looks like {digits} digits side by side: draw one digit at a time.")


def _crop_to_work_size(ink: np.ndarray) -> np.ndarray:
    """Crop to the ink and rescale so the longer side is WORK_SIZE; return it binarised."""
    crop = _crop_to_ink(ink)
    scale = WORK_SIZE / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    work = np.asarray(Image.fromarray(crop.astype(np.float32)).resize(size, resample))
    # Shrinking a thin stroke spreads it into a fainter line: measure ink against the darkest.
    return np.pad(work > INK_THRESHOLD * work.max(), 1)


def draw_centre_line(points: np.ndarray) -> np.ndarray:
    """Draw centre-line points (k, 2) (row, column) with an MNIST pen into the 20x20 box, centred by mass.

    The last step of `to_mnist`; also how training copies are drawn so they look like canvas input.
    """
    from scipy import ndimage
    grid = MNIST_SIZE * SUPERSAMPLE
    pen_radius = PEN_WIDTH * SUPERSAMPLE / 2
    low, high = points.min(axis=0), points.max(axis=0)
    extent = float((high - low).max())
    scale = (BOX_SIZE * SUPERSAMPLE - 2 * pen_radius) / extent if extent > 0 else 1.0
    placed = np.rint((points - (low + high) / 2) * scale + grid / 2).astype(int)
    centre_line = np.zeros((grid, grid), dtype=bool)
    centre_line[placed[:, 0], placed[:, 1]] = True
    distance = ndimage.distance_transform_edt(~centre_line)
    fine = np.clip(pen_radius + 0.5 - distance, 0.0, 1.0)
    fine = _shift_to_centre(fine)
    return fine.reshape(MNIST_SIZE, SUPERSAMPLE, MNIST_SIZE, SUPERSAMPLE).mean(axis=(1, 3)).astype(np.float32)


def _shift_to_centre(fine: np.ndarray) -> np.ndarray:
    """Move the drawing by whole fine pixels so its centre of mass lands on CENTRE."""
    from scipy import ndimage
    target = CENTRE * SUPERSAMPLE + (SUPERSAMPLE - 1) / 2
    dy, dx = (int(round(target - m)) for m in ndimage.center_of_mass(fine))
    moved = np.zeros_like(fine)
    height, width = fine.shape
    moved[max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = fine[
        max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)
    ]
    return moved
