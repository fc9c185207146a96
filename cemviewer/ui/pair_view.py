"""The selected view's low-energy and recombined images side by side, panned and zoomed together, with a linked
cursor: the point under the mouse in one image is marked in the other."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Signal

from cemviewer.imaging.geometry import PixelGrid, readout_text
from cemviewer.imaging.lesion_marks import LesionMarks, ViewMarks
from cemviewer.services.study_loader import LoadedImage
from cemviewer.study.model import Energy
from cemviewer.ui import theme
from cemviewer.ui.heatmap_overlay import HeatmapOverlay
from cemviewer.ui.image_pane import FIT_PADDING, ImagePane
from cemviewer.ui.lesion_overlay import LesionOverlay

LOW_ENERGY_TITLE = "Low energy"
RECOMBINED_TITLE = "Recombined"

# What a pane shows: a decoded image, or the text that stands in for a missing one.
PaneContent = LoadedImage | str

# Zooming to a lesion shows this much around its box on each side, as a fraction of the box's longer side, and at
# least LESION_CONTEXT_MM: the reader judges a margin against the tissue around it.
LESION_MARGIN = 0.5
LESION_CONTEXT_MM = 10.0


class PairView(pg.GraphicsLayoutWidget):
    cursorMoved = Signal(str)  # the status-bar readout for the point under the mouse
    windowChanged = Signal()  # the user dragged a window

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground(theme.IMAGE_BACKGROUND)
        self.ci.layout.setContentsMargins(4, 2, 4, 4)
        self.ci.layout.setHorizontalSpacing(6)
        self.ci.layout.setVerticalSpacing(0)
        self.low_energy = ImagePane(self.ci, 0, LOW_ENERGY_TITLE)
        self.recombined = ImagePane(self.ci, 1, RECOMBINED_TITLE)
        self.panes = (self.low_energy, self.recombined)
        self.recombined.viewbox.setXLink(self.low_energy.viewbox)
        self.recombined.viewbox.setYLink(self.low_energy.viewbox)
        self.outlines = (LesionOverlay(self.low_energy.viewbox, Energy.LOW.value),
                         LesionOverlay(self.recombined.viewbox, Energy.RECOMBINED.value))
        # On the recombined image only: enhancement is what the heat explains, and LE stays an unobscured reference.
        self.heatmap = HeatmapOverlay(self.recombined.viewbox)
        for pane in self.panes:
            pane.viewbox.sigWindowDrag.connect(lambda dx, dy, pane=pane: self._drag_window(pane, dx, dy))
            pane.viewbox.sigRangeChangedManually.connect(self._leave_fit_mode)
        # Until the user pans or zooms, the images stay fitted as the window and panes change size.
        self.low_energy.viewbox.sigResized.connect(self._keep_fitted)
        self._fit_mode = True
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.linked_cursor = True
        self._fitted_view: str | None = None

    def show_pair(self, view_name: str, low_energy: PaneContent, recombined: PaneContent) -> None:
        """Show a view; the first time an image of a new view appears, zoom to fit it."""
        grids = _grids(low_energy, recombined)
        for pane, content, grid in zip(self.panes, (low_energy, recombined), grids, strict=True):
            if isinstance(content, LoadedImage):
                pane.show_image(view_name, content, grid)
            else:
                pane.show_placeholder(view_name, content)
        if any(grid is not None for grid in grids) and view_name != self._fitted_view:
            self._fitted_view = view_name
            self.fit()
        for pane in self.panes:
            pane.image_item.prepare()

    def show_nothing(self) -> None:
        # Not `clear`: GraphicsLayoutWidget forwards that name to its layout, which would drop the panes.
        self._fitted_view = None
        for pane in self.panes:
            pane.show_placeholder("", "")
        self.show_marks(None)

    def show_marks(self, marks: ViewMarks | None) -> None:
        """The lesion AI's outlines and heatmap for the view on screen (None: none)."""
        for pane, overlay in zip(self.panes, self.outlines, strict=True):
            overlay.show(marks.lesions if marks is not None else [], pane.grid)
        self.heatmap.show(marks.heat if marks is not None else None, self.recombined.grid)

    def set_outlines_visible(self, visible: bool) -> None:
        for overlay in self.outlines:
            overlay.set_visible(visible)

    def focus_lesion(self, lesion: LesionMarks) -> None:
        """Zoom both images to `lesion` with some tissue around it, and draw its outline thicker."""
        grid = self.reference_grid()
        if grid is None:
            return
        width, height = grid.pixel_size
        x0, y0, x1, y1 = lesion.box
        box = QRectF(x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height)
        margin = max(LESION_MARGIN * max(box.width(), box.height()), LESION_CONTEXT_MM if grid.spacing_mm else 0.0)
        self._fit_mode = False
        self.low_energy.viewbox.setRange(box.adjusted(-margin, -margin, margin, margin), padding=0.0)
        for overlay in self.outlines:
            overlay.select(lesion.number)

    def refresh_windows(self) -> None:
        for pane in self.panes:
            pane.refresh_window()

    def reference_grid(self) -> PixelGrid | None:
        return next((pane.grid for pane in self.panes if pane.grid is not None), None)

    def fit(self) -> None:
        """Zoom so both images are whole in their panes, and keep them so when the panes are resized."""
        self._fit_mode = True
        extents = [pane.grid.extent for pane in self.panes if pane.grid is not None]
        if extents:
            width, height = max(e[0] for e in extents), max(e[1] for e in extents)
            self.low_energy.viewbox.setRange(QRectF(0.0, 0.0, width, height), padding=FIT_PADDING)

    def one_to_one(self) -> None:
        """Zoom so one image pixel covers one physical screen pixel, keeping the centre of the view."""
        grid = self.reference_grid()
        if grid is None:
            return
        self._fit_mode = False
        viewbox = self.low_energy.viewbox
        (x0, x1), (y0, y1) = viewbox.viewRange()
        pixel_width, pixel_height = grid.pixel_size
        ratio = self.devicePixelRatioF()
        half_width = viewbox.width() * ratio * pixel_width / 2.0
        half_height = viewbox.height() * ratio * pixel_height / 2.0
        centre_x, centre_y = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        viewbox.setRange(xRange=(centre_x - half_width, centre_x + half_width),
                         yRange=(centre_y - half_height, centre_y + half_height), padding=0.0)

    def set_linked_cursor(self, shown: bool) -> None:
        self.linked_cursor = shown
        if not shown:
            for pane in self.panes:
                pane.show_cursor(None)

    def readout(self, point: QPointF, grid: PixelGrid) -> str:
        values = [(pane.label, pane.value_at(point.x(), point.y())) for pane in self.panes if pane.window is not None]
        return readout_text(grid, point.x(), point.y(), values)

    def _mouse_moved(self, scene_pos: QPointF) -> None:
        hovered = next((p for p in self.panes if p.viewbox.sceneBoundingRect().contains(scene_pos)), None)
        if hovered is None:
            return
        point = hovered.viewbox.mapSceneToView(scene_pos)
        if self.linked_cursor:
            # The cursor itself marks the hovered image; a cross there would only hide the anatomy under it.
            for pane in self.panes:
                pane.show_cursor(None if pane is hovered else point)
        grid = hovered.grid or self.reference_grid()
        if grid is not None:
            self.cursorMoved.emit(self.readout(point, grid))

    def _leave_fit_mode(self) -> None:
        self._fit_mode = False

    def _keep_fitted(self) -> None:
        if self._fit_mode:
            self.fit()

    def _drag_window(self, pane: ImagePane, dx: float, dy: float) -> None:
        if pane.window is None:
            return
        pane.window.drag(dx, dy)
        pane.refresh_window()
        self.windowChanged.emit()


def _grids(low_energy: PaneContent, recombined: PaneContent) -> tuple[PixelGrid | None, PixelGrid | None]:
    """Both images' grids; an image without a pixel spacing borrows its partner's (same detector, same exposure)."""
    images = [content.window.image if isinstance(content, LoadedImage) else None
              for content in (low_energy, recombined)]
    spacings = [image.spacing_mm for image in images if image is not None and image.spacing_mm]
    fallback = spacings[0] if spacings else None
    return tuple(PixelGrid.of(image, fallback) if image is not None else None for image in images)
