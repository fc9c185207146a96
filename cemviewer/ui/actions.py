"""Every command of the viewer, with its menu and keys: the one table the menus, the shortcuts and the
Help ▸ Shortcuts dialog are all built from."""

from __future__ import annotations

from dataclasses import dataclass

from cemviewer.study.loader import HANGING_ORDER


@dataclass(frozen=True)
class ActionSpec:
    key: str  # names the window's handler for it
    menu: str
    text: str
    shortcuts: tuple[str, ...] = ()
    checkable: bool = False


# Window presets are numbered as the file lists them; how many the viewer offers keys for.
FILE_PRESET_KEYS = 3

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "File", "Open study…", ("Ctrl+O",)),
    ActionSpec("open_demo", "File", "Open demo study"),
    ActionSpec("open_pacs", "File", "Open from PACS…", ("Ctrl+Shift+O",)),
    ActionSpec("send_to_pacs", "File", "Send annotations to PACS"),
    # File ▸ Export: every format the open study's lesions and findings can be written in (handlers: export_*).
    ActionSpec("export_seg", "Export", "DICOM SEG…"),
    ActionSpec("export_png", "Export", "PNG masks…"),
    ActionSpec("export_table", "Export", "Lesion table (CSV/JSON)…"),
    ActionSpec("export_html", "Export", "HTML report…"),
    ActionSpec("export_pdf", "Export", "PDF report…"),
    ActionSpec("export_sr", "Export", "DICOM SR (measurement report)…"),
    ActionSpec("quit", "File", "Quit", ("Ctrl+Q",)),
    ActionSpec("next_view", "View", "Next view", ("PgDown", "Right")),
    ActionSpec("previous_view", "View", "Previous view", ("PgUp", "Left")),
    *(ActionSpec(f"view_{name}", "View", f"Show {name}", (str(number),))
      for number, name in enumerate(HANGING_ORDER, start=1)),
    ActionSpec("fit", "View", "Zoom to fit", ("F",)),
    ActionSpec("one_to_one", "View", "Zoom 1:1 (one image pixel per screen pixel)", ("A",)),
    ActionSpec("linked_cursor", "View", "Linked cursor", ("C",), checkable=True),
    ActionSpec("full_screen", "View", "Full screen", ("F11",), checkable=True),
    ActionSpec("invert", "Image", "Invert grey levels", ("I",), checkable=True),
    ActionSpec("reset_window", "Image", "Reset window/level", ("R",)),
    *(ActionSpec(f"preset_{number}", "Image", f"Window preset {number} from the file", (f"F{number}",))
      for number in range(1, FILE_PRESET_KEYS + 1)),
    ActionSpec("auto_window", "Image", "Automatic window (from the breast's values)", (f"F{FILE_PRESET_KEYS + 1}",)),
    ActionSpec("tool_navigate", "Edit", "Navigate (pan and zoom)", checkable=True),
    ActionSpec("tool_brush", "Edit", "Brush", ("B",), checkable=True),
    ActionSpec("tool_eraser", "Edit", "Eraser", ("E",), checkable=True),
    ActionSpec("tool_polygon", "Edit", "Polygon fill", ("P",), checkable=True),
    ActionSpec("tool_lasso", "Edit", "Lasso fill", ("L",), checkable=True),
    # Esc steps back: out of a polygon being drawn, then out of the edit tool, then it cancels the AI analysis.
    ActionSpec("escape", "Edit", "Back to Navigate (in Navigate: cancel the AI analysis)", ("Esc",)),
    ActionSpec("brush_smaller", "Edit", "Smaller brush", ("[",)),
    ActionSpec("brush_larger", "Edit", "Larger brush", ("]",)),
    ActionSpec("undo", "Edit", "Undo", ("Ctrl+Z",)),
    ActionSpec("redo", "Edit", "Redo", ("Ctrl+Shift+Z", "Ctrl+Y")),
    ActionSpec("new_lesion", "Edit", "New lesion", ("N",)),
    ActionSpec("delete_lesion", "Edit", "Delete lesion", ("Delete",)),
    ActionSpec("accept_lesion", "Edit", "Accept AI lesion", ("Y",)),
    ActionSpec("reject_lesion", "Edit", "Reject AI lesion", ("X",)),
    ActionSpec("show_annotations", "Edit", "Show annotations", ("M",), checkable=True),
    ActionSpec("fill_holes", "Edit", "Fill holes"),
    ActionSpec("remove_islands", "Edit", "Remove small islands"),
    ActionSpec("smooth", "Edit", "Smooth outline"),
    ActionSpec("outlines", "AI", "Lesion outlines", ("O",), checkable=True),
    ActionSpec("heatmap", "AI", "Grad-CAM++ heatmap", ("H",), checkable=True),
    ActionSpec("cancel_analysis", "AI", "Cancel analysis (Esc in Navigate)"),
    ActionSpec("analyse", "AI", "Analyse the study again"),
    ActionSpec("preferences", "Edit", "Preferences…", ("Ctrl+,",)),
    ActionSpec("shortcuts", "Help", "Keyboard and mouse shortcuts", ("?",)),
    ActionSpec("about", "Help", "About cemviewer"),
)

MENUS = ("File", "Edit", "View", "Image", "AI", "Help")
SUBMENUS = {"Export": "File"}  # submenu -> the menu it sits in (above that menu's last entry, Quit)

MOUSE_BINDINGS: tuple[tuple[str, str], ...] = (
    ("Left drag", "Pan (both images move together)"),
    ("Middle drag", "Pan"),
    ("Wheel", "Zoom about the cursor"),
    ("Right drag", "Window/level: right/left widens/narrows the window, down/up darkens/brightens"),
    ("Click a thumbnail", "Show that view"),
    ("Click a lesion in the list", "Zoom both images to it"),
    ("Drop folders or files", "Open them as one study"),
    ("Click a lesion (Navigate)", "Make it the active lesion (on no lesion: none, so painting starts a new one)"),
    ("Left drag with Brush / Eraser", "Paint into / erase from the lesion under the pointer, else the active one"),
    ("Ctrl+wheel with Brush / Eraser", "Brush size"),
    ("Click with Polygon", "Add a corner; double-click or click the first corner to fill (Shift: cut out)"),
    ("Left drag with Lasso", "Draw an outline; release to fill it (Shift: cut out)"),
)
