"""Photos and scans of digits written on paper: the sheet found, the light evened out, the ink found, the lines read.

A phone photo of a page is nothing like a canvas: the sheet lies askew on a table, the paper is
grey in one corner and white in another, it may be ruled, the ink is dark, and the sensor adds
grain. `read_photo` (the Photo page's one call) finds the sheet and straightens it
(`digit_app.photos.sheet`), divides out the paper's own brightness, turns the writing level,
takes printed lines out (`digit_app.photos.ruling`), finds the ink, splits it into lines of
writing (`digit_app.photos.lines`) and reads each line as a number. `photo_ink` is the ink of a
whole photo as it is, white on black, for reading without looking for a sheet or lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy.signal import fftconvolve

from digit_app.model import Classifier
from digit_app.photos import filters
from digit_app.photos.confidence import Evidence, ShownConfidence
from digit_app.photos.ink import (GRAIN_LOW, GRAIN_SIGMA, ink_darkness, ink_mask, line_picture, paper_grain,
                                  stroke_width)
from digit_app.photos.line_reader import Calibration, LineReader, LineReading, shipped_line_reader
from digit_app.photos.lines import Line, split_lines, writing_turn
from digit_app.photos.not_writing import EDGE_TOUCH, is_dust, touches_edge
from digit_app.photos.ruling import remove_ruling
from digit_app.photos.sheet import Corners, find_sheet, straighten
from digit_app.prediction import NumberReading, Reading, read_number
from digit_app.preprocess import (EmptyDrawingError, UnreadableDrawingError, ink_map, split_digits,
                                  to_mnist)

WORK_SIDE = 640  # photo_ink: photos are averaged down to about this many pixels on their longer side
PHOTO_SIDE = 2400  # read_photo: the photo is averaged down to at most this long before the sheet is looked for
PAGE_SIDE = 1200  # read_photo: the page (the straightened sheet, or the photo) is read at most this long
MIN_MARK = 0.01  # read_photo: ink marks shorter and narrower than this share of the page's side are dust
PAGE_EDGE = 0.01  # read_photo: nothing within this share of the page's side of its edges is ink
LINE_MARGIN = 4  # px of paper left around a line's ink
PAPER = (255, 255, 255)  # what shows where the page was turned level

Box = tuple[float, float, float, float]  # left, top, right, bottom in the page's pixels


@dataclass(frozen=True)
class FoundLine:
    """One line of writing found on the page, and what it reads."""

    box: Box
    picture: np.ndarray  # the line's ink, float32 white on black: what the number reader reads
    number: NumberReading | None  # None: no digit in it
    digit_boxes: tuple[Box, ...]  # each digit read, in the page's pixels (empty when they could not be placed)
    confidence: float = 0.0  # the chance that the line's number is right (calibrated for the line reader)
    sure: bool = False  # False: "not sure" of the line's number
    picture_boxes: tuple[Box, ...] = ()  # each digit's box in the line's picture
    evidence: Evidence | None = None  # what both readers said of the number shown (None: not judged)

    @property
    def digit_pictures(self) -> tuple[np.ndarray, ...]:
        """Each digit as the reader saw it on the line: its box cut from the line's picture."""
        return tuple(self.picture[int(b[1]) : int(np.ceil(b[3])), int(b[0]) : int(np.ceil(b[2]))]
                     for b in self.picture_boxes)


@dataclass(frozen=True)
class PhotoReading:
    """What `read_photo` found: the page it read, and each line of writing on it, top to bottom."""

    page: np.ndarray  # RGB uint8: the sheet straightened (or the photo), writing level; the boxes are on it
    sheet: Corners | None  # the sheet's corners in the photo; None when no whole sheet shows
    turn: float  # degrees the writing was turned back to level
    ink: np.ndarray  # bool, the page's size: the ink found (no table, edges, shadows or printed lines)
    lines: tuple[FoundLine, ...]

    @property
    def numbers(self) -> tuple[str, ...]:
        """The number on each line that has one, top to bottom."""
        return tuple(line.number.text for line in self.lines if line.number is not None)

    @property
    def confidence(self) -> float:
        """The chance that every number read is right (the lines' chances taken as independent); 0 with none."""
        chances = [line.confidence for line in self.lines if line.number is not None]
        return float(np.prod(chances)) if chances else 0.0

    @property
    def sure(self) -> bool:
        """False when any number read is "not sure", or none was read."""
        read = [line for line in self.lines if line.number is not None]
        return bool(read) and all(line.sure for line in read)


def read_photo(image: np.ndarray, classifier: Classifier, reader: LineReader | None = None,
               cut: bool = False, judge: bool = True) -> PhotoReading:
    """Read every line of digits in an RGB photo of writing on paper (or chalk on a board), top to bottom.

    The sheet, when one shows whole, is straightened; the table around it, its edges, shadows and
    printed lines are never ink; writing turned up to 15 degrees is turned level first. The work is
    bounded: the photo is averaged down to PHOTO_SIDE, the page to PAGE_SIDE, before anything else.
    Each line is read whole by the line reader (`reader`, or the shipped one); with `cut`, or when
    no line reader can be loaded, it is cut into digits and each read by the pixel CNN. With `judge`,
    the pixel CNN also reads each digit where the line reader placed it, and the two answers are averaged.
    """
    reader = None if cut else reader or shipped_line_reader()
    photo = _fitted(image, PHOTO_SIDE)
    corners = find_sheet(photo)
    page, turn, darkness, ink, labels, lines, at_edge = _page_lines(photo, corners)
    pictures = [_line_picture(labels, line, darkness if reader is not None else None) for line in lines]
    if reader is None:
        found = tuple(_read_line(picture, box, scale, classifier) for picture, box, scale in pictures)
    else:
        readings = reader.read([picture for picture, _, _ in pictures])
        found = tuple(_shown(_checked(_found(reading, *made, classifier if judge else None, reader.calibration),
                                      _read_line(*made, classifier) if judge else None, reader.calibration),
                             reader.shown)
                      for reading, made in zip(readings, pictures))
    found = tuple(_unread(line) if edge and not line.sure else line for line, edge in zip(found, at_edge))
    in_photo = None if corners is None else corners * (max(np.shape(image)[:2]) / max(photo.shape[:2]))
    return PhotoReading(page, in_photo, turn, ink, found)


def _page_lines(photo: np.ndarray, corners: Corners | None) -> tuple[np.ndarray, float, np.ndarray, np.ndarray,
                                                                     np.ndarray, list[Line], list[bool]]:
    """(the page, the turn undone, its darkness, its ink, the ink's marks labelled, its lines of writing, whether
    each line touches the page's edge band). Grain that passed for ink (`is_dust`) is neither ink nor a line."""
    page = straighten(photo, corners, PAGE_SIDE) if corners is not None else _fitted(photo, PAGE_SIDE)
    page, darkness, inside, turn = _levelled(page, board=False if corners is not None else None)
    side, band = max(darkness.shape), round(PAGE_EDGE * max(darkness.shape))
    darkness = np.where(_away_from_edges(inside, band), darkness, 0.0)
    ink = ink_mask(remove_ruling(darkness, inside), min_mark=MIN_MARK * side, hysteresis=True)
    labels, lines = split_lines(ink)
    near_edge = ~_away_from_edges(inside, band + EDGE_TOUCH)
    kept, at_edge = [], []
    for line in lines:
        left, top, right, bottom = line.box
        marks = np.isin(labels[top:bottom, left:right], line.marks)
        if is_dust(darkness[top:bottom, left:right], marks, side):
            ink[top:bottom, left:right] &= ~marks
            labels[top:bottom, left:right][marks] = 0
        else:
            kept.append(line)
            at_edge.append(touches_edge(marks, near_edge[top:bottom, left:right]))
    return page, turn, darkness, ink, labels, kept, at_edge


def _unread(line: FoundLine) -> FoundLine:
    """A line cut off by the page's edge and read "not sure": a sliver of table or a shadow's edge the sheet
    finding left in, not a number (a blank page shows none)."""
    return replace(line, number=None, digit_boxes=(), confidence=0.0, sure=False, picture_boxes=(), evidence=None)


def _levelled(page: np.ndarray, board: bool | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(the page, its darkness, where the page is, the turn undone): the writing turned level if it was turned."""
    darkness = ink_darkness(filters.gaussian(_grey_of(page), GRAIN_SIGMA), board)
    paper, spread = paper_grain(darkness)
    turn = writing_turn(np.where(darkness > paper + GRAIN_LOW * spread, darkness, 0.0))  # faint printed lines too
    inside = np.ones(darkness.shape, np.float32)
    if abs(turn) < TURN_AT_LEAST:
        return page, darkness, inside > 0.5, 0.0
    page, darkness, inside = (_turned_back(array, turn) for array in (page, darkness, inside))
    return page, darkness, inside > 0.5, turn


TURN_AT_LEAST = 0.5  # degrees: writing turned less than this is read as it is


def photo_ink(image: np.ndarray) -> np.ndarray:
    """Float32 ink in [0, 1], white on black, from a photo or scan of ink on paper (either polarity).

    Uneven light is divided out, what is not clearly darker than the paper around it is dropped,
    and grain smaller than a tenth of the largest stroke is removed. All zeros when there is no ink.
    """
    darkness = ink_darkness(filters.gaussian(_grey(image), GRAIN_SIGMA))
    ink = np.where(ink_mask(darkness), darkness, 0.0)
    return (ink / max(float(ink.max()), 1e-6)).astype(np.float32)


def _away_from_edges(inside: np.ndarray, band: int) -> np.ndarray:
    """Where the page is, `band` pixels in from its edges: a sliver of table at a sheet's edge, the edge's shadow,
    or a printed line cut off by the photo's edge is never ink."""
    return filters.minimum(inside, (2 * band + 1, 2 * band + 1), outside=False) if band > 0 else inside


def _line_picture(labels: np.ndarray, line: Line, darkness: np.ndarray | None = None) -> tuple[np.ndarray, Box, float]:
    """(one line's picture, its box on the page, the picture's scale): its own marks only, a little paper around.

    With the page's `darkness`, a line written with a thick pen for its size (strokes THICK_PEN of its
    height or wider) keeps only its darker core (its ink darker than DARKER_CORE of it): the blur that
    fills a small digit's loops (a 0 read as a stick, two 6s run into one) is left out.
    """
    left, top, right, bottom = line.box
    thick = stroke_width(np.isin(labels[top:bottom, left:right], line.marks)) >= THICK_PEN * (bottom - top)
    top, left = max(0, top - LINE_MARGIN), max(0, left - LINE_MARGIN)
    bottom, right = min(labels.shape[0], bottom + LINE_MARGIN), min(labels.shape[1], right + LINE_MARGIN)
    marks = np.isin(labels[top:bottom, left:right], line.marks)
    if darkness is not None and thick and marks.any():
        dark = darkness[top:bottom, left:right]
        marks &= dark >= np.quantile(dark[marks], DARKER_CORE)
    picture, scale = line_picture(marks)
    return picture, (left, top, right, bottom), scale


THICK_PEN = 0.14  # _line_picture: strokes this share of the line's height or wider are a thick pen ...
DARKER_CORE = 0.4  # ... and such a line keeps only its ink darker than this quantile of it


def _found(reading: LineReading, picture: np.ndarray, box: Box, scale: float, judge: Classifier | None,
           calibration: Calibration) -> FoundLine:
    """A line as the line reader read it: each digit's box from the columns where it peaked, tightened to its ink.

    With a `judge`, the pixel CNN reads each digit's box too and each digit is the mean of both
    answers; the path's probability takes the mean's instead of the line reader's own for each
    digit, and a number the judge changed is "not sure".
    """
    if not reading.digits:
        return FoundLine(box, picture, None, (), 0.0, False)
    seen, boxes = [], []
    for span in reading.digits:
        x0, x1 = max(0, int(np.floor(span.left))), min(picture.shape[1], int(np.ceil(span.right)))
        band = picture[:, x0:max(x1, x0 + 1)]
        rows, columns = np.flatnonzero((band > INKED).any(axis=1)), np.flatnonzero((band > INKED).any(axis=0))
        if len(rows):
            band = band[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
            boxes.append((float(x0 + columns[0]), float(rows[0]), float(x0 + columns[-1] + 1), float(rows[-1] + 1)))
        else:
            boxes.append((float(x0), 0.0, float(max(x1, x0 + 1)), float(picture.shape[0])))
        try:
            seen.append(to_mnist(np.pad(band, max(2, band.shape[0] // 8))))  # paper around it, as to_mnist expects
        except (EmptyDrawingError, UnreadableDrawingError):
            seen.append(None)
    own = [span.probabilities for span in reading.digits]
    judged = None
    if judge is not None and any(s is not None for s in seen):
        inputs = np.stack([s if s is not None else np.zeros((28, 28), np.float32) for s in seen])
        judged = judge.predict_proba(inputs, calibrated=False)
        own = [(p + j) / 2 if s is not None else p for p, j, s in zip(own, judged, seen)]
    digits = tuple(Reading(int(p.argmax()), p, s if s is not None else np.zeros((28, 28), np.float32))
                   for p, s in zip(own, seen))
    log_path = reading.log_path + sum(float(np.log(max(p.max(), 1e-9) / max(span.probabilities[span.digit], 1e-9)))
                                      for p, span in zip(own, reading.digits))
    confidence = float(calibration(log_path))
    changed = "".join(str(d.digit) for d in digits) != reading.text
    left, top = box[0], box[1]
    placed = tuple((left + x0 / scale, top + y0 / scale, left + x1 / scale, top + y1 / scale)
                   for x0, y0, x1, y1 in boxes)
    evidence = None
    if judged is not None:
        chances = [float(j[d.digit]) if s is not None else 0.0 for j, d, s in zip(judged, digits, seen)]
        evidence = _evidence(log_path, chances, agree=False, changed=changed, shown=[d.probabilities for d in digits])
    return FoundLine(box, picture, NumberReading(digits), placed, confidence,
                     confidence >= calibration.unsure_below and not changed, tuple(boxes), evidence)


def _evidence(log_path: float, chances: list[float], agree: bool, changed: bool, shown: list[np.ndarray],
              count_agree: bool = True) -> Evidence:
    """The evidence for a number shown, from the pixel CNN's probability of each digit shown and each digit's
    probabilities as shown (`shown`: the margin of the least clear one over its runner-up)."""
    floor = np.maximum(np.asarray(chances, np.float64), LEAST_CHANCE)
    top_two = np.sort(np.stack([np.asarray(p, np.float64) for p in shown]), axis=1)[:, -2:]
    margin = float((top_two[:, 1] - top_two[:, 0]).min())
    return Evidence(float(log_path), float(np.log(floor).sum()), float(floor.min()), agree, changed, margin,
                    count_agree, len(chances))


LEAST_CHANCE = 1e-4  # a digit's probability is taken as at least this in the evidence (its log is bounded)


def _shown(line: FoundLine, shown: ShownConfidence | None) -> FoundLine:
    """The line with the confidence fitted for what is shown, when there is one fit and the evidence for it."""
    if shown is None or line.evidence is None:
        return line
    confidence = shown(line.evidence)
    return replace(line, confidence=confidence, sure=confidence >= shown.unsure_below)


INKED = 0.25  # a line picture's pixel this bright is ink, for a digit's box


def _checked(whole: FoundLine, cut: FoundLine | None, calibration: Calibration) -> FoundLine:
    """The line reader's reading, or the cut one's digits where it cut the line into as many digits.

    Measured on the benchmark's photos: the line reader counts digits better, and where the cut
    finds the same count its crops are cleaner than the line reader's shares of the line, so the
    pixel CNN reads them better. A number the two read differently is "not sure"; its confidence
    is the line reader's with each digit's share of the path's probability the cut's.
    """
    if cut is None or whole.number is None:
        return whole
    if cut.number is None:
        return whole if whole.evidence is None else replace(whole, evidence=replace(whole.evidence, count_agree=False))
    agree = cut.number.text == whole.number.text
    counted = len(cut.number.digits) == len(whole.number.digits)
    if agree or not counted:
        return whole if whole.evidence is None else replace(whole, evidence=replace(whole.evidence, agree=agree,
                                                                                    count_agree=counted))
    chance = min(max(whole.confidence, 1e-9), 1 - 1e-9)
    log_path = (np.log(chance / (1 - chance)) - calibration.offset) / calibration.slope
    log_path += sum(float(np.log(max(c.confidence, 1e-9) / max(w.confidence, 1e-9)))
                    for c, w in zip(cut.number.digits, whole.number.digits))
    boxes = cut.digit_boxes or whole.digit_boxes
    pictures = cut.picture_boxes if cut.digit_boxes else whole.picture_boxes
    evidence = whole.evidence and _evidence(log_path, [d.confidence for d in cut.number.digits], False, True,
                                            [d.probabilities for d in cut.number.digits])
    return FoundLine(whole.box, whole.picture, cut.number, boxes, float(calibration(log_path)), False, pictures,
                     evidence)


def _read_line(picture: np.ndarray, box: Box, scale: float, classifier: Classifier) -> FoundLine:
    """One line cut into digits by its pixels, each read by the pixel CNN, and where its digits are on the page."""
    number = read_number(picture, classifier)
    boxes = _digit_boxes(picture) if number is not None else []
    left, top = box[0], box[1]
    placed = tuple((left + x0 / scale, top + y0 / scale, left + x1 / scale, top + y1 / scale)
                   for x0, y0, x1, y1 in boxes)
    fits = number is not None and len(placed) == len(number.digits)
    if number is None:
        return FoundLine(box, picture, None, ())
    return FoundLine(box, picture, number, placed if fits else (), number.confidence, number.is_sure,
                     tuple(boxes) if fits else ())


def _digit_boxes(picture: np.ndarray) -> list[Box]:
    """Where in a line's picture each digit `read_number` reads lies, left to right.

    `split_digits` gives each digit's crop without its place; a crop's ink is the picture's own,
    so the crop is found where all its ink lands on ink (the first such place right of the last digit).
    """
    try:
        crops = split_digits(picture)
    except EmptyDrawingError:
        return []
    ink = (ink_map(picture) > 0).astype(np.float32)
    boxes: list[Box] = []
    for crop in crops:
        try:
            to_mnist(crop)
        except (EmptyDrawingError, UnreadableDrawingError):
            continue  # read_number leaves it out too
        rows, columns = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
        own = (crop[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1] > 0).astype(np.float32)
        if own.shape[0] > ink.shape[0] or own.shape[1] > ink.shape[1]:
            return []
        landed = fftconvolve(ink, own[::-1, ::-1], mode="valid")
        places = np.argwhere(landed > own.sum() - 0.5)
        after = places[places[:, 1] >= (boxes[-1][0] if boxes else 0)]
        if not len(after):
            return []
        y, x = after[np.argmin(after[:, 1])]
        boxes.append((float(x), float(y), float(x + own.shape[1]), float(y + own.shape[0])))
    return boxes


def _grey(image: np.ndarray) -> np.ndarray:
    """Grey levels in [0, 1] at about WORK_SIDE pixels on the longer side."""
    array = _as_uint8(image)
    picture = Image.fromarray(array[..., :3] if array.ndim == 3 else array).convert("L")
    factor = int(np.ceil(max(picture.size) / WORK_SIDE))
    if factor > 1:
        picture = picture.reduce(factor)
    return np.asarray(picture, dtype=np.float32) / 255.0


def _grey_of(page: np.ndarray) -> np.ndarray:
    """Grey levels in [0, 1] of an RGB page, at its own size."""
    return np.asarray(Image.fromarray(page).convert("L"), dtype=np.float32) / 255.0


def _as_uint8(image: np.ndarray) -> np.ndarray:
    """An image array as uint8 (floats in [0, 1] or [0, 255]); ValueError for what is not an image."""
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0:
        raise ValueError(f"expected an image array, got one of shape {array.shape}")
    if array.dtype != np.uint8:
        array = np.clip(np.nan_to_num(array.astype(np.float32)) * (255.0 if array.max() <= 1.0 else 1.0), 0, 255)
        array = array.astype(np.uint8)
    return array


def _fitted(image: np.ndarray, longest: int) -> np.ndarray:
    """The photo as RGB uint8, averaged down to at most `longest` pixels on its longer side (itself when it is already
    RGB uint8 and small enough: never written to)."""
    array = _as_uint8(image)
    if array.ndim == 3 and array.shape[2] == 3 and max(array.shape[:2]) <= longest:
        return array
    picture = Image.fromarray(np.ascontiguousarray(array[..., :3]) if array.ndim == 3 else array).convert("RGB")
    scale = longest / max(picture.size)
    if scale < 1:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.BOX)
    return np.asarray(picture)


def _turned_back(array: np.ndarray, turn: float) -> np.ndarray:
    """A page (RGB uint8) or a darkness map (float) turned `turn` degrees back (anticlockwise), grown to hold it all."""
    if array.dtype == np.uint8:
        return np.asarray(Image.fromarray(array).rotate(turn, Image.Resampling.BILINEAR, expand=True, fillcolor=PAPER))
    return np.asarray(Image.fromarray(array.astype(np.float32)).rotate(
        turn, Image.Resampling.BILINEAR, expand=True, fillcolor=0.0), np.float32)
