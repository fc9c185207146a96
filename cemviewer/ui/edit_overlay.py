"""The edited lesions drawn over both images: one full-resolution ARGB image, made when the first lesion is drawn,
shared by an item in each pane.

A brush dab changes a few hundred pixels of a 3062 x 2394 image, so nothing here handles the whole image per edit:
`redraw(box)` recomposes the changed box of the shared image in place (numpy writes straight into the QImage's
memory), and each item asks Qt to repaint that box only; an item paints just the part of the image Qt exposes.
pyqtgraph's ImageItem would instead convert its whole array to a new QImage on every update (see
benchmarks/bench_brush.py for both).

Each lesion is a translucent fill in the colour of its label with an opaque one-pixel edge; the active lesion is
filled more strongly and edged in white with a dark halo; AI proposals are only edged (a pale fill would veil the
tissue the annotator is judging) until one is selected or accepted.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QTransform
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from cemviewer.editing.lesion_set import BENIGN, MALIGNANT, PROPOSAL, UNKNOWN, EditableLesion, LesionSet
from cemviewer.editing.mask_ops import Box, box_slices, grow, overlaps
from cemviewer.imaging.geometry import PixelGrid
from cemviewer.ui.lesion_overlay import UNCLASSIFIED_COLOUR

LABEL_COLOURS = {UNKNOWN: "#e8d840", BENIGN: "#30d070", MALIGNANT: "#ff4040"}
PROPOSAL_COLOUR = UNCLASSIFIED_COLOUR  # as the AI's own outlines of a lesion it could not classify
ACTIVE_EDGE = "#ffffff"
HALO = "#000000"
# Opacity (0-255) of fills and edges: light enough fills that the margin under them stays readable.
FILL_ALPHA, ACTIVE_FILL_ALPHA, PROPOSAL_FILL_ALPHA = 50, 85, 0
HALO_ALPHA = 200
EDGE_ALPHA, PROPOSAL_EDGE_ALPHA = 230, 150
# Above the image and the heatmap, below the AI's outlines and their labels (cemviewer.ui.lesion_overlay).
OVERLAY_Z = 15


def set_label_colours(colours: dict[str, str]) -> None:
    """Colours by label (Preferences); the next redraw uses them."""
    LABEL_COLOURS.update(colours)


def premultiplied(colour: str, alpha: int) -> np.uint32:
    """`colour` at `alpha` as one ARGB32 premultiplied pixel."""
    c = QColor(colour)
    r, g, b = (round(v * alpha / 255) for v in (c.red(), c.green(), c.blue()))
    return np.uint32((alpha << 24) | (r << 16) | (g << 8) | b)


def lesion_colours(lesion: EditableLesion, active: bool) -> tuple[np.uint32, np.uint32, np.uint32 | None]:
    """(fill, edge, halo) pixels of a lesion; the halo, a dark ring just outside the active lesion's white edge,
    keeps that edge visible on bright tissue. None: no halo."""
    halo = premultiplied(HALO, HALO_ALPHA) if active else None
    if lesion.source == PROPOSAL:
        fill = premultiplied(PROPOSAL_COLOUR, FILL_ALPHA if active else PROPOSAL_FILL_ALPHA)
        return fill, premultiplied(ACTIVE_EDGE if active else PROPOSAL_COLOUR, PROPOSAL_EDGE_ALPHA), halo
    colour = LABEL_COLOURS[lesion.label]
    if active:
        return premultiplied(colour, ACTIVE_FILL_ALPHA), premultiplied(ACTIVE_EDGE, 255), halo
    return premultiplied(colour, FILL_ALPHA), premultiplied(colour, EDGE_ALPHA), None


def compose(lesions: LesionSet, box: Box, out: np.ndarray) -> None:
    """Draw the lesions' pixels within `box` into `out` (uint32, the box's shape)."""
    out[...] = 0
    x0, y0, x1, y1 = box
    rows, columns = lesions.shape
    # One pixel around the box decides which pixels of the box are on an edge or in a halo.
    gx0, gy0, gx1, gy1 = max(x0 - 1, 0), max(y0 - 1, 0), min(x1 + 1, columns), min(y1 + 1, rows)
    r = slice(y0 - gy0 + 1, y1 - gy0 + 1)
    c = slice(x0 - gx0 + 1, x1 - gx0 + 1)
    up, down = slice(r.start - 1, r.stop - 1), slice(r.start + 1, r.stop + 1)
    left, right = slice(c.start - 1, c.stop - 1), slice(c.start + 1, c.stop + 1)
    grown = np.zeros((gy1 - gy0 + 2, gx1 - gx0 + 2), bool)  # outside the image counts as background
    active = lesions.active
    # Proposals below the annotator's own lesions, which they may overlap; the active one on top of its kind.
    order = sorted(lesions.lesions.values(), key=lambda lesion: (lesion.editable, lesion is active))
    for lesion in order:
        if lesion.extent is None or not overlaps(lesion.extent, (gx0, gy0, gx1, gy1)):
            continue
        grown[1:-1, 1:-1] = lesion.mask[gy0:gy1, gx0:gx1]
        if not grown.any():
            continue
        mask = grown[r, c]
        fill, edge, halo = lesion_colours(lesion, lesion is active)
        interior = mask & grown[up, c] & grown[down, c] & grown[r, left] & grown[r, right]
        if halo is not None:
            out[~mask & (grown[up, c] | grown[down, c] | grown[r, left] | grown[r, right])] = halo
        out[interior] = fill
        out[mask & ~interior] = edge


class MaskCanvas:
    """The shared ARGB32 image of the current view's lesions, made when there is first something to draw on it.

    A view has no lesion until the AI proposes one or the annotator draws: till then the canvas is no image at all.
    A full-size one is 29 MB at 3062 x 2394, and blanking it on the UI thread in the middle of each study open cost
    4 ms when its memory was warm and 56-155 ms when it was fresh. Made, its memory comes zeroed from the system
    (np.zeros), so a first brush dab touches only the pages it draws on."""

    def __init__(self) -> None:
        self.shape = (0, 0)  # rows, columns of the image drawn over
        self.image = QImage()  # null until made
        self._pixels: np.ndarray | None = None
        self.items: list[MaskOverlayItem] = []

    @property
    def pixels(self) -> np.ndarray:
        """The image's memory (premultiplied ARGB32 as uint32, rows x columns), made blank on first use."""
        if self._pixels is None:
            rows, columns = self.shape
            self._pixels = np.zeros((rows, columns), np.uint32)
            # The QImage draws straight from this array; neither is replaced without the other.
            self.image = (QImage(self._pixels.data, columns, rows, 4 * columns,
                                 QImage.Format.Format_ARGB32_Premultiplied) if rows and columns else QImage())
        return self._pixels

    def reset(self, shape: tuple[int, int] | None) -> None:
        """Nothing drawn over an image of `shape` (rows, columns); None: no image."""
        drawn = self._pixels is not None
        self.shape = shape or (0, 0)
        self._pixels, self.image = None, QImage()
        rows, columns = self.shape
        for item in self.items:
            item.set_size(columns, rows)
            if drawn:
                item.update()

    def redraw(self, lesions: LesionSet, box: Box | None = None) -> None:
        """Recompose `box` (all of each lesion's extent when None) and repaint it on every pane."""
        boxes = [box] if box is not None else [lesion.extent for lesion in lesions.lesions.values() if lesion.extent]
        for part in boxes:
            # A changed pixel can turn its neighbours into (or out of) an edge or halo: one pixel more around.
            part = grow(part, 1, self.shape)
            if part is None:
                continue
            compose(lesions, part, self.pixels[box_slices(part)])
            x0, y0, x1, y1 = part
            for item in self.items:
                item.update(QRectF(x0, y0, x1 - x0, y1 - y0))


class MaskOverlayItem(QGraphicsItem):
    """Draws the canvas in a pane: item coordinates are image pixels, scaled to the pane's millimetre scene."""

    def __init__(self, canvas: MaskCanvas) -> None:
        super().__init__()
        self.canvas = canvas
        self._size = (0, 0)
        self.shown = True  # not the item's visibility, which would hide the brush outline drawn as its child
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # exposedRect: the part to paint
        self.setZValue(OVERLAY_Z)
        canvas.items.append(self)
        rows, columns = canvas.shape
        self.set_size(columns, rows)

    def set_size(self, columns: int, rows: int) -> None:
        if (columns, rows) != self._size:
            self.prepareGeometryChange()
            self._size = (columns, rows)

    def set_grid(self, grid: PixelGrid | None) -> None:
        width, height = grid.pixel_size if grid is not None else (1.0, 1.0)
        self.setTransform(QTransform.fromScale(width, height))

    def set_shown(self, shown: bool) -> None:
        self.shown = shown
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0.0, 0.0, *self._size)

    def paint(self, painter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self.canvas.image.isNull() or not self.shown:
            return
        exposed = option.exposedRect.intersected(self.boundingRect()).toAlignedRect()
        if exposed.isEmpty():
            return
        painter.drawImage(QRectF(exposed), self.canvas.image, QRectF(exposed))
