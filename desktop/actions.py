"""The window's actions, each with its shortcut, shared by menus and toolbars."""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

Shortcut = str | QKeySequence.StandardKey | None


@dataclass(frozen=True, slots=True)
class WindowActions:
    """Every action of the main window."""

    add_folder: QAction
    remove_folder: QAction
    reindex: QAction
    problems: QAction
    print_article: QAction
    print_preview: QAction
    export_pdf: QAction
    export_list: QAction
    quit: QAction
    copy: QAction
    find: QAction
    focus_search: QAction
    focus_search_alt: QAction
    next_hit: QAction
    previous_hit: QAction
    zoom_in: QAction
    zoom_out: QAction
    zoom_reset: QAction
    toggle_bookmark: QAction
    edit_bookmark: QAction
    show_bookmarks: QAction
    export_bookmarks: QAction
    import_bookmarks: QAction
    save_search: QAction
    show_saved: QAction
    open_original: QAction
    show_in_folder: QAction
    theme_system: QAction
    theme_light: QAction
    theme_dark: QAction
    syntax_help: QAction
    about: QAction

    def all(self) -> list[QAction]:
        """Every action, in declaration order."""
        return [getattr(self, f.name) for f in fields(self)]


def _action(parent: QWidget, text: str, shortcut: Shortcut = None, tip: str = "") -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    return action


def build_actions(parent: QWidget) -> WindowActions:
    """Create the actions (not yet connected) with their shortcuts."""
    std = QKeySequence.StandardKey
    actions = WindowActions(
        add_folder=_action(parent, "&Add Folder…", "Ctrl+O", "Add a folder of articles"),
        remove_folder=_action(parent, "&Remove Folder…", None, "Remove a folder from the library"),
        reindex=_action(parent, "Re-&index Now", "Ctrl+R", "Bring the index up to date"),
        problems=_action(parent, "&Files That Could Not Be Read…"),
        print_article=_action(parent, "&Print…", "Ctrl+P", "Print the article"),
        print_preview=_action(parent, "Print Pre&view…", "Ctrl+Shift+P", "Preview the printout"),
        export_pdf=_action(parent, "&Export as PDF…", "Ctrl+Shift+E", "Save the article as PDF"),
        export_list=_action(
            parent,
            "Export &Reading List…",
            "Ctrl+Shift+L",
            "Selected results or tagged bookmarks as one PDF or HTML file",
        ),
        quit=_action(parent, "&Quit", "Ctrl+Q"),
        copy=_action(parent, "&Copy", std.Copy),
        find=_action(parent, "&Find in Article…", "Ctrl+F"),
        focus_search=_action(parent, "&Search", "Ctrl+L", "Go to the search box"),
        focus_search_alt=_action(parent, "Search (alternative)", "Ctrl+K"),
        next_hit=_action(parent, "&Next Hit ▶", "F3", "Go to the next hit (F3)"),
        previous_hit=_action(parent, "◀ &Previous Hit", "Shift+F3", "Previous hit (Shift+F3)"),
        zoom_in=_action(parent, "Zoom &In", "Ctrl++", "Larger text"),
        zoom_out=_action(parent, "Zoom &Out", "Ctrl+-", "Smaller text"),
        zoom_reset=_action(parent, "&Actual Size", "Ctrl+0", "Text at its normal size"),
        toggle_bookmark=_action(parent, "☆ &Bookmark", "Ctrl+D", "Bookmark this article (Ctrl+D)"),
        edit_bookmark=_action(parent, "Edit Bookmark &Tags and Note…", "Ctrl+Shift+D"),
        show_bookmarks=_action(parent, "&Bookmarks Panel", "Ctrl+B"),
        export_bookmarks=_action(parent, "&Export Bookmarks…"),
        import_bookmarks=_action(parent, "&Import Bookmarks…"),
        save_search=_action(parent, "&Save Search…", "Ctrl+Shift+S", "Save this search by name"),
        show_saved=_action(parent, "Saved Searc&hes Panel", "Ctrl+Shift+B"),
        open_original=_action(parent, "&Open Original File", None, "Open the file in its app"),
        show_in_folder=_action(parent, "Show in &Folder", None, "Open the folder of the file"),
        theme_system=_action(parent, "&System Theme"),
        theme_light=_action(parent, "&Light Theme"),
        theme_dark=_action(parent, "&Dark Theme"),
        syntax_help=_action(parent, "Search &Syntax", "F1"),
        about=_action(parent, "&About Reading Room"),
    )
    actions.zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
    actions.show_bookmarks.setCheckable(True)
    actions.show_saved.setCheckable(True)
    actions.toggle_bookmark.setCheckable(True)
    for action in (actions.theme_system, actions.theme_light, actions.theme_dark):
        action.setCheckable(True)
    actions.quit.setMenuRole(QAction.MenuRole.QuitRole)
    return actions
