"""ROI editing in the viewer: one LesionSet per view of the open study (both images of a view share it), its
drawing on both panes, the tools, the annotation panel, and the commands of the Edit menu.

Other widgets follow the edits through two signals: `lesionsShown` when another view's lesions come on screen, and
`roiChanged(lesion id, mask)` once an edit of a lesion of the view on screen is complete (a stroke when the button
is released, a fill, an undo), with mask None when the lesion is gone. Mid-stroke dabs are not reported there:
they only redraw.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction

from cemviewer.editing.lesion_set import EditError, LesionSet, Update
from cemviewer.editing.proposals import outline_mask
from cemviewer.imaging.geometry import PixelGrid
from cemviewer.imaging.lesion_marks import LesionMarks, ViewMarks
from cemviewer.ui.edit_overlay import MaskCanvas, MaskOverlayItem
from cemviewer.ui.edit_panel import EditPanel
from cemviewer.ui.edit_toolbar import EditToolbar
from cemviewer.ui.edit_tools import TOOLS, EditTools

PROPOSAL_INTERVAL_MS = 5  # between two AI lesions added to a view


class EditSession(QObject):
    roiChanged = Signal(int, object)  # lesion id, its bool mask (None: deleted) in the view on screen
    lesionsShown = Signal(object)  # the LesionSet now on screen; None without an image
    message = Signal(str)  # for the status bar

    def __init__(self, pair, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pair = pair
        self.canvas = MaskCanvas()
        self.items = tuple(MaskOverlayItem(self.canvas) for _pane in pair.panes)
        for pane, item in zip(pair.panes, self.items, strict=True):
            pane.viewbox.addItem(item, ignoreBounds=True)
        self.tools = EditTools(pair, self.items, lambda: self.lesions)
        self.tools.message.connect(self.message)
        self.panel: EditPanel | None = None
        self._visibility: QAction | None = None  # Edit ▸ Show annotations
        self.sets: dict[str, LesionSet] = {}  # by view name, for the open study
        self._proposed: set[str] = set()  # views whose AI findings have been turned into proposals
        # AI lesions still to be proposed, one at a time (see _propose).
        self._pending: deque[tuple[str, LesionSet, LesionMarks]] = deque()
        self._feeder = QTimer(self)
        # Not 0: a zero timer is always the first due, so after any long event it ran at once and its lesion added
        # to that stall; a few milliseconds later, whatever else waits (input, other timers) goes first.
        self._feeder.setInterval(PROPOSAL_INTERVAL_MS)
        self._feeder.timeout.connect(self._propose_next)
        self.view_name: str | None = None
        self.lesions: LesionSet | None = None  # the set on screen

    def build_widgets(self, actions: dict[str, QAction]) -> tuple[EditToolbar, EditPanel]:
        """The toolbar and the annotation panel, once the window has made the Edit actions."""
        self.panel = EditPanel(actions)
        self.panel.lesionChosen.connect(lambda lesion_id: self._edit(lambda lesions: lesions.select(lesion_id)))
        self.panel.labelChosen.connect(lambda i, label: self._edit(lambda lesions: lesions.set_label(i, label)))
        self.panel.noteEdited.connect(lambda i, note: self._edit(lambda lesions: lesions.set_note(i, note)))
        self.panel.show_lesions(self.lesions)
        self._visibility = actions["show_annotations"]
        self._visibility.setChecked(True)
        return EditToolbar(actions, self.tools), self.panel

    def handlers(self) -> dict[str, Callable[[], None]]:
        """The window's handlers of the Edit actions (see cemviewer.ui.actions)."""
        handlers = {f"tool_{tool}": partial(self.tools.set_tool, tool) for tool in TOOLS}
        handlers.update({
            "brush_smaller": partial(self.tools.resize_brush, -1),
            "brush_larger": partial(self.tools.resize_brush, 1),
            "show_annotations": lambda: self.set_visible(self._visibility.isChecked()),
            "undo": self.undo,
            "redo": self.redo,
            "new_lesion": lambda: self._edit(lambda lesions: lesions.new_lesion()),
            "delete_lesion": partial(self._on_active, LesionSet.delete, "delete"),
            "accept_lesion": partial(self._on_active, LesionSet.accept, "accept"),
            "reject_lesion": partial(self._on_active, LesionSet.reject, "reject"),
            "fill_holes": partial(self._on_active, LesionSet.fill_holes, "fill holes in", "has no hole"),
            "remove_islands": partial(self._on_active, LesionSet.remove_islands, "remove islands from",
                                      "has no island that small"),
            "smooth": partial(self._on_active, LesionSet.smooth, "smooth", "is already smooth"),
        })
        return handlers

    # --- views ----------------------------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every view's lesions (another study is opening)."""
        self.sets.clear()
        self._proposed.clear()
        self._pending.clear()
        self.show_view(None, None, None)

    def restore_view(self, view_name: str, lesions: LesionSet) -> None:
        """Lesions brought back from a file: they become the view's set, and the AI's findings are not proposed
        on it again (the annotator has already accepted or rejected them). Call before the view is shown."""
        self.sets[view_name] = lesions
        self._proposed.add(view_name)
        self._pending = deque(entry for entry in self._pending if entry[0] != view_name)

    def show_view(self, view_name: str | None, grid: PixelGrid | None, marks: ViewMarks | None) -> None:
        """Show the lesions of `view_name`, laid out by `grid` (None: no image yet), with the AI's findings
        `marks` as proposals the first time they are seen."""
        lesions = None
        if view_name is not None and grid is not None:
            lesions = self.sets.get(view_name)
            if lesions is None or lesions.shape != (grid.rows, grid.columns):
                lesions = self.sets[view_name] = LesionSet((grid.rows, grid.columns), grid.spacing_mm)
            if marks is not None and view_name not in self._proposed:
                self._propose(view_name, lesions, marks)
        for item in self.items:
            item.set_grid(grid)
        if lesions is self.lesions and view_name == self.view_name:
            return
        self.tools.interrupt()
        if self.lesions is not None:
            self.lesions.unsubscribe(self._on_update)
        self.view_name, self.lesions = view_name, lesions
        self.canvas.reset(lesions.shape if lesions is not None else None)
        if lesions is not None:
            lesions.subscribe(self._on_update)
            self.canvas.redraw(lesions)
        if self.panel is not None:
            self.panel.show_lesions(lesions)
        self.lesionsShown.emit(lesions)

    @property
    def proposing(self) -> bool:
        """Whether AI lesions are still on their way into the sets."""
        return bool(self._pending)

    def _propose(self, view_name: str, lesions: LesionSet, marks: ViewMarks) -> None:
        """The AI's lesions as proposals. Once per view: analysing again leaves the annotator's work as it is.
        One lesion at a time, each in its own turn of the event loop: each is drawn as it is added (3-27 ms on the UI
        thread on the stall benchmark's timelines), and a view's lesions added at once held the UI for up to 90 ms."""
        self._proposed.add(view_name)
        self._pending.extend((view_name, lesions, found) for found in marks.lesions)
        if self._pending:
            self._feeder.start()

    def _propose_next(self) -> None:
        if self._pending:
            view_name, lesions, found = self._pending.popleft()
            if self.sets.get(view_name) is lesions:  # else another study opened, or the view's set was replaced
                lesions.add_proposal(outline_mask(found, lesions.shape), found.score, found.malignancy,
                                     within=found.box)
        if not self._pending:
            self._feeder.stop()

    def _on_update(self, update: Update) -> None:
        lesions = self.lesions
        if update.box is not None:
            self.canvas.redraw(lesions, update.box)
        if update.listing and self.panel is not None:
            self.panel.show_lesions(lesions)
        if update.roi:
            for lesion_id in update.lesion_ids:
                lesion = lesions.lesions.get(lesion_id)
                self.roiChanged.emit(lesion_id, lesion.mask if lesion is not None else None)

    # --- commands -------------------------------------------------------------------------------------------

    def set_visible(self, visible: bool) -> None:
        """Show or hide the lesions on both images (M), to see the tissue under them; editing goes on."""
        self._visibility.setChecked(visible)
        for item in self.items:
            item.set_shown(visible)

    def escape(self) -> bool:
        """Esc: leave what the tools are doing; False when in Navigate with nothing under way."""
        return self.tools.escape()

    def undo(self) -> None:
        what = self._edit(lambda lesions: lesions.undo())
        self.message.emit(f"Undone: {what}" if what else "Nothing to undo")

    def redo(self) -> None:
        what = self._edit(lambda lesions: lesions.redo())
        self.message.emit(f"Redone: {what}" if what else "Nothing to redo")

    def _on_active(self, operation: Callable[[LesionSet, int], object], verb: str, unchanged: str = "") -> None:
        """Apply `operation` to the active lesion; it returns False when it changed nothing."""
        active = self.lesions.active if self.lesions is not None else None
        if active is None:
            self.message.emit(f"Select a lesion to {verb} first")
            return
        if self._edit(lambda lesions: operation(lesions, active.id)) is False:
            self.message.emit(f"Lesion {active.id} {unchanged}")

    def _edit(self, change: Callable[[LesionSet], object]):
        if self.lesions is None:
            self.message.emit("Open a study to edit its lesions")
            return None
        try:
            return change(self.lesions)
        except EditError as error:
            self.message.emit(str(error))
            return None
