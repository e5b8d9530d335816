"""The sheet in a photo: found as the largest bright quadrilateral, and straightened by its perspective.

A sheet of paper lying on a table is brighter and less coloured than the table, so its shape is
the largest bright region of the photo. Its outline is cut down to the four corners that keep the
most of its area, each side is fitted as a straight line through the outline, and the corners are
where the sides meet. A sheet with a corner out of the picture, or a photo of paper only, has no
four corners: then `find_sheet` gives None, and the writing is found on the photo as it is.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError
from skimage.filters import sobel, threshold_multiotsu, threshold_otsu
from skimage.measure import find_contours

from digit_app.photos import filters

Corners = np.ndarray  # (4, 2) float (x, y) in image pixels (edges, not centres): TL, TR, BR, BL

FIND_SIDE = 640  # the sheet is looked for with the photo averaged down to about this longer side
WIPE = 0.02  # writing is wiped off the paper by a closing this share of the longer side
MIN_AREA = 0.1  # a sheet covers at least this share of the photo
MIN_CONTRAST = 0.2  # ... and what lies around it is darker or more coloured by this share of its whiteness
MIN_FILL = 0.95  # the four corners keep this share of the bright region's area: it is a quadrilateral
INSIDE = 0.01  # every corner lies this share of the photo's longer side inside it: the whole sheet shows
SIDE_FIT = 0.8  # each side is fitted through the middle 80% of it, away from rounded corners
EDGE_SAMPLES = 48  # places along a side where its edge is measured
EDGE_REACH = 12.0  # px (of the reduced photo): how far across the rough side the edge is looked for
AGREE = 0.02  # the sheet's edges moved its corners by at most this share of the photo's side, or are not believed
FIT_ROUNDS = 3  # a side's line is fitted this many times, each without the points far off the last
SHEET_SIDE = 1400  # px: the straightened sheet is at most this long (the loader's JPEGs are at most ~2560)


def homography(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The (3, 3) projective map taking four (x, y) points onto four others (no three in a line)."""
    rows, values = [], []
    for (x, y), (u, v) in zip(np.asarray(source, np.float64), np.asarray(target, np.float64)):
        rows += [[x, y, 1, 0, 0, 0, -x * u, -y * u], [0, 0, 0, x, y, 1, -x * v, -y * v]]
        values += [u, v]
    return np.append(np.linalg.solve(np.array(rows), np.array(values)), 1.0).reshape(3, 3)


def warp_quad(image: Image.Image, corners: Corners, size: tuple[int, int]) -> Image.Image:
    """The part of `image` inside `corners`, mapped onto an upright picture of `size` (width, height)."""
    width, height = size
    upright = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    back = homography(upright, corners)  # PIL asks, for each output pixel, where it comes from
    return image.transform(size, Image.Transform.PERSPECTIVE, tuple((back / back[2, 2]).ravel()[:8]),
                           Image.Resampling.BILINEAR)


def find_sheet(image: np.ndarray) -> Corners | None:
    """The corners of the sheet of paper in an RGB photo, or None when no whole sheet shows.

    The sheet is the largest region brighter and less coloured than what lies around it (a table,
    a floor), with the writing wiped off it; it must cover MIN_AREA of the photo, be a
    quadrilateral, and lie wholly inside the photo (a photo of paper only has no sheet edge to find).
    """
    small, factor = _reduced(image)
    paper = _paper(filters.gaussian(_whiteness(small), 1.0))
    region = _sheet_region(paper)
    if region is None:
        return None
    outline = _outline(region)
    corners = _four_corners(outline)
    if corners is None or _area(corners) < MIN_FILL * region.sum():
        return None
    rough = _fitted([_outline_line(outline, start, end) for start, end in zip(corners, np.roll(corners, -1, axis=0))])
    if rough is None:
        return None
    brightness = filters.gaussian(small.mean(axis=2), 1.0)  # JPEG keeps brightness sharper than colour
    corners = _fitted([_edge_line(brightness, start, end) for start, end in zip(rough, np.roll(rough, -1, axis=0))])
    if corners is None or np.abs(corners - rough).max() > AGREE * max(paper.shape):
        corners = rough  # the edges found are not this region's: keep the region's own corners
    inside = INSIDE * max(paper.shape)
    height, width = paper.shape
    if corners is None or (corners < inside).any() or (corners[:, 0] > width - inside).any() \
            or (corners[:, 1] > height - inside).any():
        return None
    return corners * factor


def _sheet_region(paper: np.ndarray) -> np.ndarray | None:
    """The bright region the sheet makes, grown out to its sharpest edges; None if nothing stands out.

    A shadow across the sheet can make its shadowed part as dark as the lit table. So the surely
    bright part (above Otsu's level) and the surely dark part (below the lower of the levels that
    part three classes of light, and the photo's border where it is not bright) are grown into
    what lies between them, across the weakest edges first (a watershed on the brightness
    gradient): a shadow's edge is soft, the sheet's is sharp.
    """
    if float(paper.max() - paper.min()) < 1e-3:
        return None
    bright = _largest_region(paper > threshold_otsu(paper))
    if bright is None:
        return None
    seeds = (paper < threshold_multiotsu(paper, classes=3)[0]).astype(np.int32)
    border = np.ones(paper.shape, bool)
    border[1:-1, 1:-1] = False
    seeds[border & ~bright] = 1  # a whole sheet lies inside the photo: what reaches its edge is not the sheet
    seeds[filters.minimum(bright, (5, 5))] = 2  # two pixels in from its edge
    edges = sobel(paper)
    edges = np.round(edges * (np.iinfo(np.uint16).max / max(float(edges.max()), 1e-9))).astype(np.uint16)
    region = _largest_region(ndimage.watershed_ift(edges, seeds) == 2)  # without thin leaks into the table
    if region is None:
        return None
    if paper[region].mean() * (1 - MIN_CONTRAST) < paper[~region].mean():
        return None
    return region


def _reduced(image: np.ndarray) -> tuple[np.ndarray, int]:
    """The photo averaged down by a whole factor to about FIND_SIDE on its longer side, and that factor."""
    picture = Image.fromarray(np.ascontiguousarray(np.asarray(image)[..., :3]))
    factor = max(1, int(round(max(picture.size) / FIND_SIDE)))
    return np.asarray(picture.reduce(factor) if factor > 1 else picture, np.float32) / 255.0, factor


def _whiteness(rgb: np.ndarray) -> np.ndarray:
    """How white each pixel is: its least channel (paper is bright in all three, wood or a blue desk is not).

    Channel by channel: `min(axis=2)` over three values is several times slower.
    """
    return np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2]) if rgb.ndim == 3 else rgb


def _paper(whiteness: np.ndarray) -> np.ndarray:
    """Whiteness with the writing wiped off (a closing wider than a pen stroke)."""
    wipe = max(3, int(WIPE * max(whiteness.shape)))
    return filters.closing(whiteness, (wipe, wipe))


def _largest_region(bright: np.ndarray) -> np.ndarray | None:
    """The largest bright region, thin bridges cut and holes (the writing, a dark mark) filled, if big enough."""
    if bright.all():
        return None
    opened = filters.maximum(filters.minimum(bright, (5, 5)), (5, 5))  # thin bridges cut
    labels, count = ndimage.label(opened)
    if count == 0:
        return None
    region = _filled(labels == np.argmax(np.bincount(labels.ravel())[1:]) + 1)
    return region if MIN_AREA <= region.mean() < 1.0 else None


def _filled(region: np.ndarray) -> np.ndarray:
    """The region with its holes filled: all that is not connected to the picture's border outside it."""
    outside, _ = ndimage.label(np.pad(~region, 1, constant_values=True))
    return outside[1:-1, 1:-1] != outside[0, 0]


def _outline(region: np.ndarray) -> np.ndarray:
    """The region's outline as (x, y) points in pixel-edge coordinates (a pixel covers [i, i + 1))."""
    contours = find_contours(np.pad(region, 1).astype(np.float32), 0.5)
    longest = max(contours, key=len)
    return longest[:, ::-1] - 0.5  # (row, column) of the padded array to (x, y) of the region's edges


def _four_corners(outline: np.ndarray) -> Corners | None:
    """The four points of the outline's convex hull that keep the most area, TL, TR, BR, BL; None if degenerate.

    Hull points are dropped one at a time, always the one whose triangle with its neighbours is
    smallest (Visvalingam's simplification), so rounded or frayed corners do not matter.
    """
    try:
        hull = outline[ConvexHull(outline).vertices]
    except (QhullError, ValueError):
        return None
    while len(hull) > 4:
        hull = np.delete(hull, int(np.argmin(_triangles(hull))), axis=0)
    return _ordered(hull) if len(hull) == 4 else None


def _triangles(polygon: np.ndarray) -> np.ndarray:
    """The area of the triangle each vertex of a polygon makes with its two neighbours."""
    before, after = np.roll(polygon, 1, axis=0) - polygon, np.roll(polygon, -1, axis=0) - polygon
    return 0.5 * np.abs(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0])


def _ordered(points: np.ndarray) -> Corners:
    """Four corners in the order TL, TR, BR, BL (clockwise on screen, starting nearest the top left)."""
    centre = points.mean(axis=0)
    clockwise = points[np.argsort(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0]))]
    return np.roll(clockwise, -int(np.argmin(clockwise.sum(axis=1))), axis=0)


def _area(polygon: np.ndarray) -> float:
    """The area of a simple polygon of (x, y) points (the shoelace formula)."""
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _fitted(lines: list[tuple[np.ndarray, np.ndarray]]) -> Corners | None:
    """The corners where four sides' lines (point, direction) meet, side i-1 and side i at corner i."""
    met = [_meet(lines[i - 1], lines[i]) for i in range(4)]
    return None if any(point is None for point in met) else np.array(met)


def _outline_line(outline: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The line through the outline along the side from `start` to `end`, its rounded ends left out."""
    length = float(np.hypot(*(end - start)))
    direction = (end - start) / max(length, 1e-9)
    along = (outline - start) @ direction
    across = np.abs((outline - start) @ np.array([-direction[1], direction[0]]))
    margin = (1 - SIDE_FIT) / 2 * length
    near = outline[(along > margin) & (along < length - margin) & (across < 0.05 * length)]
    return _line_through(near) if len(near) >= 2 else (start, direction)


def _edge_line(brightness: np.ndarray, start: np.ndarray, end: np.ndarray,
               reach: float = EDGE_REACH) -> tuple[np.ndarray, np.ndarray]:
    """The sheet's edge near the side from `start` to `end` (clockwise), as (a point, a unit direction).

    Across the side, at EDGE_SAMPLES places along its middle, the edge is where the brightness
    rises fastest going in (the peak, interpolated between samples); a line is fitted through
    those places without the ones well off it (a shadow's edge, a mark). Then again, nearer.
    """
    for near in (reach, reach / 4):
        line = _line_through(_edge_points(brightness, start, end, near))
        direction = line[1] if line[1] @ (end - start) > 0 else -line[1]
        length = float(np.hypot(*(end - start)))
        start, end = _project(start, line), _project(start, line) + direction * length
    return line


def _edge_points(brightness: np.ndarray, start: np.ndarray, end: np.ndarray, reach: float) -> np.ndarray:
    """Where the brightness rises fastest going into the sheet, across the side at EDGE_SAMPLES places; (k, 2)."""
    length = float(np.hypot(*(end - start)))
    direction = (end - start) / max(length, 1e-9)
    inward = np.array([-direction[1], direction[0]])  # the corners go clockwise on screen (y down)
    along = start + np.linspace((1 - SIDE_FIT) / 2, (1 + SIDE_FIT) / 2, EDGE_SAMPLES)[:, None] * (end - start)
    offsets = np.arange(-reach, reach + 0.25, 0.5)
    where = along[:, None, :] + offsets[None, :, None] * inward  # (samples, offsets, x y), pixel edges
    values = ndimage.map_coordinates(brightness, [where[..., 1] - 0.5, where[..., 0] - 0.5], order=1, mode="nearest")
    rise = np.diff(values, axis=1)
    peak = np.clip(rise.argmax(axis=1), 1, rise.shape[1] - 2)
    rows = np.arange(len(peak))
    left, middle, right = rise[rows, peak - 1], rise[rows, peak], rise[rows, peak + 1]
    curve = left - 2 * middle + right  # negative at a peak
    shift = np.where(curve < 0, 0.5 * (left - right) / np.where(curve < 0, curve, -1.0), 0.0)
    return along + ((offsets[peak] + offsets[peak + 1]) / 2 + 0.5 * shift)[:, None] * inward


def _project(point: np.ndarray, line: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """The point of `line` (point, unit direction) nearest `point`."""
    return line[0] + ((point - line[0]) @ line[1]) * line[1]


def _line_through(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The straight line nearest most of the points, as (a point, a unit direction).

    Total least squares, fitted again FIT_ROUNDS times without the points off it by more than
    three times the median distance (at least a pixel): a few wrong edges do not tilt it.
    """
    kept = points
    for _ in range(FIT_ROUNDS):
        middle = kept.mean(axis=0)
        direction = np.linalg.svd(kept - middle, full_matrices=False)[2][0]
        off = np.abs((points - middle) @ np.array([-direction[1], direction[0]]))
        kept = points[off <= max(1.0, 3 * float(np.median(off)))]
    return middle, direction


def _meet(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    """Where two lines (point, direction) cross; None if they are nearly parallel."""
    (p, d), (q, e) = first, second
    matrix = np.column_stack([d, -e])
    if abs(np.linalg.det(matrix)) < 1e-6:
        return None
    t = np.linalg.solve(matrix, q - p)[0]
    return p + t * d


def straighten(image: np.ndarray, corners: Corners, longest: int = SHEET_SIDE) -> np.ndarray:
    """The sheet inside `corners`, upright and as large as it shows in the photo (at most `longest`); RGB uint8."""
    width = (np.hypot(*(corners[1] - corners[0])) + np.hypot(*(corners[2] - corners[3]))) / 2
    height = (np.hypot(*(corners[3] - corners[0])) + np.hypot(*(corners[2] - corners[1]))) / 2
    scale = min(1.0, longest / max(width, height))
    size = (max(1, int(round(width * scale))), max(1, int(round(height * scale))))
    picture = Image.fromarray(np.ascontiguousarray(np.asarray(image)[..., :3]))
    return np.asarray(warp_quad(picture, corners, size))
