"""The viewer's main window: the image pair in the middle, views, lesions and study information in a narrow column
on the left, readout and progress in the status bar. It wires the widgets to the background loader and the lesion
analyser and holds what is open; the maths lives in cemviewer.imaging, the loading and the AI in
cemviewer.services."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu, QProgressBar, QScrollArea,
                               QStackedLayout, QVBoxLayout, QWidget)

from cemviewer.fusion.assess import age_years
from cemviewer.services.autosave import Autosave
from cemviewer.services.inference import RUNNING, LesionAnalyser, ViewAnalysis
from cemviewer.services.roi_assessment import RoiAssessor, ViewInputs
from cemviewer.services.study_loader import LoadedImage, StudyLoader
from cemviewer.study.loader import HANGING_ORDER
from cemviewer.study.model import ImageRef, ScanResult, Study, View
from cemviewer.ui.about_dialog import AboutDialog
from cemviewer.ui.actions import ACTIONS, FILE_PRESET_KEYS, MENUS, SUBMENUS
from cemviewer.ui.annotation_io import AnnotationIO
from cemviewer.ui.assessment_panel import AssessmentPanel
from cemviewer.ui.edit_session import EditSession
from cemviewer.ui.heatmap_overlay import DEFAULT_OPACITY, TRANSPARENT_BELOW
from cemviewer.ui.info_panel import InfoPanel, study_title
from cemviewer.ui.lesion_panel import LesionPanel
from cemviewer.ui.message_bar import MessageBar
from cemviewer.ui.overview import ViewOverview
from cemviewer.ui.pacs_menu import PacsMenu
from cemviewer.ui.pair_view import LOW_ENERGY_TITLE, RECOMBINED_TITLE, PairView, PaneContent
from cemviewer.ui.preferences import apply_preferences, autosave_folder, read_preferences
from cemviewer.ui.preferences_dialog import PreferencesDialog
from cemviewer.ui.recent import RecentStudies, default_settings
from cemviewer.ui.shortcuts_dialog import ShortcutsDialog
from cemviewer.ui.welcome import WelcomeScreen

APP_NAME = "cemviewer"
SIDE_COLUMN_WIDTH = 280
LOADING_TEXT = "Loading…"
# Where the AI display switches are remembered between sessions.
OUTLINES_KEY = "ai/outlines"
HEATMAP_KEY = "ai/heatmap"
OPACITY_KEY = "ai/heatmap_opacity"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.settings = settings or default_settings()
        self.recent = RecentStudies(self.settings)
        self.loader = StudyLoader(self)
        self.loader.preload()
        self.analyser = LesionAnalyser(self)
        self.analyser.preload()
        self.analyses: dict[str, ViewAnalysis] = {}  # the current study's AI findings by view name
        self.scan: ScanResult | None = None
        self.study: Study | None = None
        self.view_name: str | None = None
        self.loaded: dict[ImageRef, LoadedImage] = {}
        self.failed: dict[ImageRef, str] = {}
        self._ai_off_message: str | None = None  # why the AI is off, said once the study's images are in
        self.inverted = False
        self._recent_candidate: str | None = None  # what a successful scan adds to File ▸ Recent
        self._shortcuts_dialog: ShortcutsDialog | None = None

        self.pair = PairView()
        self.editor = EditSession(self.pair, self)  # ROI editing: its handlers join the actions below
        self.message_bar = MessageBar()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.message_bar)
        # The welcome screen lies over the images until a study opens: the panes are laid out with the window, not
        # in the middle of its first open.
        self.welcome = WelcomeScreen()
        images = QStackedLayout()
        images.setStackingMode(QStackedLayout.StackingMode.StackAll)
        images.addWidget(self.pair)
        images.addWidget(self.welcome)
        column.addLayout(images, stretch=1)
        self.setCentralWidget(central)

        self.overview = ViewOverview()
        self.info = InfoPanel()
        self._views_dock = self._dock("Views", self.overview, "views")
        info_scroll = QScrollArea()
        info_scroll.setWidget(self.info)
        info_scroll.setWidgetResizable(True)
        info_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self._info_dock = self._dock("Study", info_scroll, "study")
        self.splitDockWidget(self._views_dock, self._info_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self._views_dock], [SIDE_COLUMN_WIDTH], Qt.Orientation.Horizontal)

        self.readout = QLabel()
        self.readout.setMinimumWidth(560)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.ai_status = QLabel()
        self.statusBar().addPermanentWidget(self.readout)
        self.statusBar().addPermanentWidget(self.ai_status)
        self.statusBar().addPermanentWidget(self.progress)
        # Nothing lost: the lesions autosave into the session store and come back when the study opens again.
        self.autosave = Autosave(self.editor, lambda: autosave_folder(self.settings), self)
        self.autosave_status = QLabel()
        self.statusBar().addPermanentWidget(self.autosave_status)
        self.autosave.status.connect(self.autosave_status.setText)
        self.autosave.problem.connect(self.message_bar.show_error)

        # Ground truth in and out: a study's SEGs opened as lesions, File ▸ Export.
        self.annotation_io = AnnotationIO(self.editor, self.message_bar, self.settings,
                                          lambda text: self.statusBar().showMessage(text, 8000), self)
        self.pacs = PacsMenu(self)  # File ▸ Open from PACS…, Send annotations to PACS
        self.actions_by_key = self._build_actions()
        self.recent_menu = QMenu("Recent studies", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._menus["File"].insertMenu(self.actions_by_key["quit"], self.recent_menu)
        for submenu, menu in SUBMENUS.items():
            self._menus[menu].insertMenu(self.actions_by_key["quit"], self._menus[submenu])
        self._menus["File"].insertSeparator(self.actions_by_key["quit"])
        self._fill_recent_menu()
        self.actions_by_key["linked_cursor"].setChecked(True)

        self.lesion_panel = LesionPanel(self.actions_by_key["outlines"], self.actions_by_key["heatmap"])
        self._lesions_dock = self._dock("Lesions (AI)", self.lesion_panel, "lesions")
        self.splitDockWidget(self._views_dock, self._lesions_dock, Qt.Orientation.Vertical)
        self._restore_ai_display()
        edit_toolbar, edit_panel = self.editor.build_widgets(self.actions_by_key)
        self.addToolBar(edit_toolbar)
        self._edit_dock = self._dock("Annotation", edit_panel, "annotation")
        # On the right: the left column is full, and portrait images leave width to spare on a landscape screen.
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self._edit_dock)
        self.resizeDocks([self._edit_dock], [SIDE_COLUMN_WIDTH], Qt.Orientation.Horizontal)
        # The selected lesion's probabilities and features, recomputed in a worker after each edit, under it.
        self.assessor = RoiAssessor(self._assessment_inputs, self)
        self.assessment_panel = AssessmentPanel()
        self.assessment_panel.follow(self.assessor)
        self._assessment_dock = self._dock("Assessment", self.assessment_panel, "assessment")
        self.splitDockWidget(self._edit_dock, self._assessment_dock, Qt.Orientation.Vertical)
        self.resizeDocks([self._edit_dock, self._assessment_dock], [1, 2], Qt.Orientation.Vertical)
        self.editor.lesionsShown.connect(self.assessor.show_lesions)

        self.loader.progress.connect(self._on_progress)
        self.loader.scanned.connect(self._on_scanned)
        self.loader.openFailed.connect(self._on_open_failed)
        self.loader.imageLoaded.connect(self._on_image_loaded)
        self.loader.imageFailed.connect(self._on_image_failed)
        self.loader.idle.connect(self._on_idle)
        self.analyser.progress.connect(self._on_ai_progress)
        self.analyser.viewAnalysed.connect(self._on_view_analysed)
        self.analyser.finished.connect(self._on_ai_finished)
        self.analyser.cancelled.connect(self._on_ai_cancelled)
        self.analyser.failed.connect(self._on_ai_failed)
        self.analyser.viewFailed.connect(self._on_ai_view_failed)
        self.lesion_panel.lesionChosen.connect(self.focus_lesion)
        self.lesion_panel.opacityChanged.connect(self.set_heatmap_opacity)
        self.overview.viewSelected.connect(self.select_view)
        self.info.studyChosen.connect(self._choose_study)
        self.welcome.openDemo.connect(self.open_demo)
        self.welcome.openFolder.connect(self.choose_and_open)
        self.welcome.openRecent.connect(lambda path: self.open_paths([Path(path)]))
        self.pair.cursorMoved.connect(self.readout.setText)
        self.editor.message.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.setAcceptDrops(True)
        apply_preferences(self, read_preferences(self.settings))
        self._show_nothing()

    # --- building -------------------------------------------------------------------------------------------

    def _dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        # Not closable: there would be no way back short of a menu entry; full screen (F11) gives the images room.
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        return dock

    def _handlers(self) -> dict[str, Callable[[], None]]:
        handlers = {
            "open": self.choose_and_open,
            "open_demo": self.open_demo,
            "quit": self.close,
            "next_view": partial(self.step_view, 1),
            "previous_view": partial(self.step_view, -1),
            "fit": self.pair.fit,
            "one_to_one": self.pair.one_to_one,
            "linked_cursor": lambda: self.pair.set_linked_cursor(self.actions_by_key["linked_cursor"].isChecked()),
            "full_screen": self._toggle_full_screen,
            "invert": lambda: self.set_inverted(self.actions_by_key["invert"].isChecked()),
            "reset_window": self.reset_windows,
            "auto_window": self.auto_windows,
            "shortcuts": self.show_shortcuts,
            "about": lambda: AboutDialog(self).exec(),
            "preferences": self.show_preferences,
            "outlines": lambda: self.set_outlines_shown(self.actions_by_key["outlines"].isChecked()),
            "heatmap": lambda: self.set_heatmap_shown(self.actions_by_key["heatmap"].isChecked()),
            "cancel_analysis": self.cancel_analysis,
            "analyse": self.analyse_again,
        }
        handlers.update({f"view_{name}": partial(self.select_view, name) for name in HANGING_ORDER})
        handlers.update({f"preset_{n}": partial(self.apply_preset, n - 1) for n in range(1, FILE_PRESET_KEYS + 1)})
        handlers.update(self.annotation_io.handlers())
        handlers.update(self.pacs.handlers())
        handlers.update(self.editor.handlers(), escape=lambda: self.editor.escape() or self.cancel_analysis())
        return handlers

    def _build_actions(self) -> dict[str, QAction]:
        handlers = self._handlers()
        self._menus = {name: self.menuBar().addMenu(name) for name in MENUS}
        self._menus.update({submenu: QMenu(submenu, self) for submenu in SUBMENUS})
        actions = {}
        for spec in ACTIONS:
            action = QAction(spec.text, self)
            action.setShortcuts([QKeySequence(keys) for keys in spec.shortcuts])
            action.setCheckable(spec.checkable)
            action.triggered.connect(lambda _checked=False, handler=handlers[spec.key]: handler())
            self._menus[spec.menu].addAction(action)
            self.addAction(action)  # keeps the keys working in full screen
            actions[spec.key] = action
        return actions

    # --- opening --------------------------------------------------------------------------------------------

    def choose_and_open(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a study folder (or a CD / DICOMDIR folder)")
        if folder:
            self.open_paths([Path(folder)])

    def open_paths(self, paths: list[Path]) -> None:
        """Open files and folders as one study; a single path is remembered in File ▸ Recent once it opens."""
        self._recent_candidate = str(paths[0]) if len(paths) == 1 else None
        shown = str(paths[0]) if len(paths) == 1 else f"{len(paths)} dropped items"
        self.statusBar().showMessage(f"Opening {shown}…")
        self.loader.open_paths(paths)

    def open_demo(self) -> None:
        from cemviewer.synth.demo import demo_study_path

        self._recent_candidate = None
        self.statusBar().showMessage("Opening the demo study (written once on first use)…")
        self.loader.open_with(lambda: [demo_study_path()])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()
        for path in paths:
            self.recent_menu.addAction(path, partial(self.open_paths, [Path(path)]))
        if paths:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self.recent.clear)
        else:
            self.recent_menu.addAction("No recent studies").setEnabled(False)

    def dragEnterEvent(self, event) -> None:
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = _local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # --- loader results -------------------------------------------------------------------------------------

    def _on_progress(self, what: str, done: int, total: int) -> None:
        self.progress.setVisible(True)
        # QProgressBar.setValue repaints at once, and with it every pending change of the window: mid-load, a
        # 20-35 ms paint of a half-shown view. Updates off, the bar is painted with the rest when the loop is free.
        self.progress.setUpdatesEnabled(False)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"{what} {done}/{total}" if total else what)
        self.progress.setUpdatesEnabled(True)

    def _on_scanned(self, scan: ScanResult) -> None:
        self.scan = scan
        if self._recent_candidate:
            self.recent.add(self._recent_candidate)
        self._show_study(scan.studies[0])
        found = f"{len(scan.studies)} studies found; showing the first. " if len(scan.studies) > 1 else ""
        self.statusBar().showMessage(f"{found}Loading {study_title(scan.studies[0])}…")

    def _choose_study(self, index: int) -> None:
        if self.scan and 0 <= index < len(self.scan.studies) and self.scan.studies[index] is not self.study:
            self._show_study(self.scan.studies[index])
            self.loader.load_study(self.study)

    def _show_study(self, study: Study) -> None:
        self.autosave.close_study()  # saves the lesions of the study leaving the screen
        self.study = study
        self._show_welcome(False)
        self.loaded.clear()
        self.failed.clear()
        self.message_bar.dismiss()
        self._ai_off_message = None
        self.setWindowTitle(f"{study_title(study)} — {APP_NAME}")
        self.overview.set_study(study)
        self.info.show_scan(self.scan, study)
        self.pair.show_nothing()
        self.editor.clear()
        self.annotation_io.open_study(study, self.scan.root if self.scan else Path.home())
        self.view_name = None
        self.analyses.clear()
        self.autosave.open_study(study)  # after the SEG's lesions: the autosave holds the later edits
        self.analyser.start(study, study.views[0].name if study.views else None)
        if study.views:
            self.select_view(study.views[0].name)

    def _on_open_failed(self, message: str) -> None:
        self.message_bar.show_error(message)
        self.statusBar().showMessage(message)
        self.progress.setVisible(False)
        if self._loading():
            # The failed open took the loader's queue; finish the study still on screen.
            self.loader.load_study(self.study, self.current_view(), done=self.loaded.keys() | self.failed.keys())

    def _on_image_loaded(self, loaded: LoadedImage) -> None:
        self.loaded[loaded.ref] = loaded
        loaded.window.user_inverted = self.inverted
        self.analyser.add_image(loaded.window.image)
        view = self._view_of(loaded.ref)
        if view is not None and _thumbnail_source(view) == loaded.ref:
            self.overview.set_thumbnail(view.name, loaded.thumbnail)
        if view is not None and view.name == self.view_name:
            self._show_current()

    def _on_image_failed(self, ref: ImageRef, message: str) -> None:
        self.failed[ref] = message
        self.analyser.image_failed(ref)
        self.message_bar.show_error(message)
        self.statusBar().showMessage(message)
        view = self._view_of(ref)
        if view is not None and view.name == self.view_name:
            self._show_current()

    def _loading(self) -> bool:
        return self.study is not None and len(self.loaded) + len(self.failed) < len(self.study.images())

    def _on_idle(self) -> None:
        self.progress.setVisible(False)
        if self._ai_off_message is not None:
            self._say_ai_is_off(self._ai_off_message)
            self._ai_off_message = None
        if self.study is not None:
            problems = f", {len(self.failed)} could not be shown" if self.failed else ""
            self.statusBar().showMessage(f"{len(self.loaded)} images loaded{problems}", 5000)

    # --- views ----------------------------------------------------------------------------------------------

    def current_view(self) -> View | None:
        return self.study.view(self.view_name) if self.study and self.view_name else None

    def select_view(self, name: str) -> None:
        view = self.study.view(name) if self.study else None
        if view is None:
            self.statusBar().showMessage(f"No {name} view in this study", 3000)
            return
        self.view_name = name
        self.overview.set_current(name)
        self.loader.prioritize(view)
        self.analyser.prioritize(name)
        self._show_current()

    def step_view(self, step: int) -> None:
        if not self.study or not self.study.views:
            return
        names = [view.name for view in self.study.views]
        index = names.index(self.view_name) if self.view_name in names else -step
        self.select_view(names[(index + step) % len(names)])

    def _show_current(self) -> None:
        view = self.current_view()
        if view is None:
            return
        self.pair.show_pair(view.name, self._content(view.low_energy, LOW_ENERGY_TITLE, view),
                            self._content(view.recombined, RECOMBINED_TITLE, view))
        self.info.show_view(view, {ref: loaded.window.image for ref, loaded in self.loaded.items()})
        self._show_findings()

    def _content(self, ref: ImageRef | None, title: str, view: View) -> PaneContent:
        if ref is None:
            return f"No {title.lower()} image for {view.name}"
        if ref in self.loaded:
            return self.loaded[ref]
        if ref in self.failed:
            return f"Cannot display the {title.lower()} image\n{textwrap.fill(self.failed[ref], 60)}"
        return LOADING_TEXT

    def _view_of(self, ref: ImageRef) -> View | None:
        if self.study is None:
            return None
        return next((view for view in self.study.views if ref in view.images()), None)

    def _assessment_inputs(self) -> ViewInputs | None:
        view = self.current_view()
        if view is None:
            return None
        le, rec = (self.loaded[ref].window.image if ref in self.loaded else None
                   for ref in (view.low_energy, view.recombined))
        return ViewInputs(le, rec, age_years(self.study.patient.age))

    def _show_nothing(self) -> None:
        self._show_welcome(True)
        self.pair.show_nothing()
        self.info.show_scan(None, None)

    # --- window/level and display ---------------------------------------------------------------------------

    def _shown_windows(self):
        return [pane.window for pane in self.pair.panes if pane.window is not None]

    def set_inverted(self, inverted: bool) -> None:
        self.inverted = inverted
        self.actions_by_key["invert"].setChecked(inverted)
        for loaded in self.loaded.values():
            loaded.window.user_inverted = inverted
        self.pair.refresh_windows()

    def reset_windows(self) -> None:
        for window in self._shown_windows():
            window.reset()
        self.pair.refresh_windows()

    def auto_windows(self) -> None:
        for window in self._shown_windows():
            window.apply_auto()
        self.pair.refresh_windows()

    def apply_preset(self, index: int) -> None:
        names = []
        for window in self._shown_windows():
            if window.apply_preset(index):
                names.append(window.window.name or f"W {window.window.width:.0f} L {window.window.center:.0f}")
        self.pair.refresh_windows()
        if names:
            self.statusBar().showMessage(f"Window preset {index + 1}: {' / '.join(names)}", 3000)
        else:
            self.statusBar().showMessage(f"These images have no window preset {index + 1}", 3000)

    def _toggle_full_screen(self) -> None:
        if self.actions_by_key["full_screen"].isChecked():
            self.showFullScreen()
        else:
            self.showNormal()

    def _show_welcome(self, shown: bool) -> None:
        if shown:
            self.welcome.set_recent(self.recent.paths())
        self.welcome.setVisible(shown)
        if shown:
            self.welcome.raise_()

    def show_preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self)
        dialog.applied.connect(lambda preferences: apply_preferences(self, preferences))
        dialog.exec()

    def show_shortcuts(self) -> None:
        if self._shortcuts_dialog is None:
            self._shortcuts_dialog = ShortcutsDialog(self.actions_by_key, self)
        self._shortcuts_dialog.show()
        self._shortcuts_dialog.raise_()

    # --- lesion AI ------------------------------------------------------------------------------------------

    def _show_findings(self) -> None:
        """The current view's AI findings on the images and in the lesion panel."""
        analysis = self.analyses.get(self.view_name)
        self.pair.show_marks(analysis.marks if analysis else None)
        self.editor.show_view(self.view_name, self.pair.reference_grid(), analysis.marks if analysis else None)
        if analysis is not None:
            empty = f"No lesion found on {self.view_name}"
        elif self.analyser.state == RUNNING:
            empty = f"{self.view_name} not analysed yet"
        else:
            empty = f"No AI findings for {self.view_name}" if self.view_name else ""
        self.lesion_panel.show_lesions(analysis.marks.lesions if analysis else None, empty)
        heat = analysis.marks.heat if analysis else None
        note = f"Heatmap peak {heat.peak:.2f}" if heat else ""
        if heat and heat.peak < TRANSPARENT_BELOW:
            # The heat is Grad-CAM++ weighted by malignancy: nothing to see where the classifier finds little.
            note += f", below the {TRANSPARENT_BELOW:g} shown: little malignancy evidence"
        self.lesion_panel.set_heat_note(note)

    def _set_ai_status(self, text: str) -> None:
        self.ai_status.setText(text)
        self.lesion_panel.set_status(text)

    def _on_ai_progress(self, view_name: str, position: int, total: int) -> None:
        self._set_ai_status(f"AI: analysing {view_name} ({position}/{total})…")

    def _on_view_analysed(self, analysis: ViewAnalysis) -> None:
        self.analyses[analysis.view_name] = analysis
        if analysis.view_name == self.view_name:
            self._show_findings()

    def _on_ai_finished(self) -> None:
        lesions = sum(len(analysis.marks.lesions) for analysis in self.analyses.values())
        devices = sorted({analysis.marks.device for analysis in self.analyses.values()})
        where = f" ({', '.join(devices)})" if devices else ""
        self._set_ai_status(f"AI: {lesions} lesion{'s' if lesions != 1 else ''} in {len(self.analyses)} "
                            f"view{'s' if len(self.analyses) != 1 else ''}{where}")
        self._show_findings()

    def _on_ai_cancelled(self) -> None:
        self._set_ai_status(f"AI: cancelled, {len(self.analyses)} view{'s' if len(self.analyses) != 1 else ''} "
                            f"analysed (AI ▸ Analyse the study again resumes)")
        self._show_findings()

    def _on_ai_failed(self, message: str) -> None:
        if self._loading():
            # Said once the images are in: the message bar, shown, lays the image panes out and redraws them again,
            # 5-10 ms of the UI thread that the decodes of an uncompressed study were waiting for.
            self._ai_off_message = message
        else:
            self._say_ai_is_off(message)

    def _say_ai_is_off(self, message: str) -> None:
        self.message_bar.show_error(message)
        self._set_ai_status("AI: off (see the message above the images)")
        self._show_findings()

    def _on_ai_view_failed(self, view_name: str, message: str) -> None:
        self.message_bar.show_error(message)

    def cancel_analysis(self) -> None:
        if not self.analyser.cancel():
            self.statusBar().showMessage("No lesion analysis is running", 3000)

    def analyse_again(self) -> None:
        if self.study is not None:
            self.analyser.rerun(self.view_name)
            self._show_findings()

    def focus_lesion(self, number: int) -> None:
        analysis = self.analyses.get(self.view_name)
        lesions = analysis.marks.lesions if analysis else []
        lesion = next((lesion for lesion in lesions if lesion.number == number), None)
        if lesion is not None:
            self.pair.focus_lesion(lesion)

    def set_outlines_shown(self, shown: bool) -> None:
        self.actions_by_key["outlines"].setChecked(shown)
        self.pair.set_outlines_visible(shown)
        self.settings.setValue(OUTLINES_KEY, shown)

    def set_heatmap_shown(self, shown: bool) -> None:
        self.actions_by_key["heatmap"].setChecked(shown)
        self.pair.heatmap.set_visible(shown)
        self.settings.setValue(HEATMAP_KEY, shown)

    def set_heatmap_opacity(self, opacity: float) -> None:
        self.pair.heatmap.set_opacity(opacity)
        self.settings.setValue(OPACITY_KEY, opacity)

    def _restore_ai_display(self) -> None:
        # The heatmap starts hidden: outlines answer "where"; the explanation is asked for.
        self.set_outlines_shown(_setting_bool(self.settings.value(OUTLINES_KEY, True)))
        self.set_heatmap_shown(_setting_bool(self.settings.value(HEATMAP_KEY, False)))
        opacity = float(self.settings.value(OPACITY_KEY, DEFAULT_OPACITY))
        self.lesion_panel.set_opacity(opacity)
        self.pair.heatmap.set_opacity(opacity)

    def closeEvent(self, event) -> None:
        self.autosave.shutdown()
        self.loader.shutdown()
        self.analyser.shutdown()
        self.assessor.shutdown()
        self.pacs.shutdown()
        super().closeEvent(event)


def _thumbnail_source(view: View) -> ImageRef | None:
    """The overview shows the low-energy image: the anatomy the reader recognises a view by."""
    return view.low_energy or view.recombined


def _setting_bool(value) -> bool:
    """QSettings hands booleans back as the strings 'true'/'false' from an INI file."""
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _local_paths(mime) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []

