"""About Pixtral Desk: version, licenses, and where everything is stored; plus the crash dialog.

Why the paths are here: "where is my history?" and "send us the log" are the two questions a
user without a terminal cannot answer alone. Each folder is shown as selectable text (to copy
into a bug report or a backup tool) with an "Open folder" button.

The crash dialog lives here too because it is the other place the user learns where the logs
are; ``CrashNotifier`` lets ``app.crash_report`` open it safely from any thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.models.download import hub_cache_dir
from app.ui.theme.dialog_parts import Section, button_row
from app.ui.theme.icons import NAMES as ICON_NAMES
from app.ui.theme.tokens import SPACING

_ICON_FONTS = {
    "ph": ("Phosphor Icons", "MIT", "https://github.com/phosphor-icons/core/blob/main/LICENSE"),
    "mdi": ("Material Design Icons", "Apache-2.0",
            "https://github.com/Templarian/MaterialDesign/blob/master/LICENSE"),
    "ri": ("Remix Icon", "Apache-2.0", "https://github.com/Remix-Design/remixicon/blob/master/License"),
    "fa": ("Font Awesome Free", "OFL-1.1", "https://fontawesome.com/license/free"),
    "ei": ("Elusive Icons", "OFL-1.1", "https://scripts.sil.org/OFL"),
    "msc": ("Codicons", "CC-BY-4.0",
            "https://github.com/microsoft/vscode-codicons/blob/main/LICENSE"),
}  # fmt: skip
"""Licences of the fonts qtawesome bundles, by the start of their prefix (as its README gives
them); only the fonts :data:`app.ui.theme.icons.NAMES` draws from are listed in About."""


def icon_font_licences() -> list[tuple[str, str, str]]:
    """QtAwesome and each icon font the app's icons come from, with its version and licence.

    Read off the icon table and qtawesome's own list of bundled fonts (both in memory), so a
    new icon set added to the table appears here without anyone remembering to list it.
    """
    import qtawesome

    used = sorted({name.split(".", 1)[0] for name in ICON_NAMES.values()})
    files = {prefix: ttf for prefix, ttf, _charmap in qtawesome._BUNDLED_FONTS}
    rows = [("QtAwesome " + qtawesome.__version__ + " (icon library)", "MIT",
             "https://github.com/spyder-ide/qtawesome/blob/master/LICENSE.txt")]  # fmt: skip
    for prefix in used:
        family = next((v for k, v in _ICON_FONTS.items() if prefix.startswith(k)), None)
        name, spdx, url = family or (f"Icon font '{prefix}'", "see QtAwesome", rows[0][2])
        version = files.get(prefix, "").rsplit("-", 1)[-1].removesuffix(".ttf")
        rows.append((f"{name} {version} (icon font)".replace("  ", " "), spdx, url))
    return rows


LICENSES: tuple[tuple[str, str, str], ...] = (
    ("Pixtral 12B model weights (Mistral AI)", "Apache-2.0",
     "https://www.apache.org/licenses/LICENSE-2.0"),
    ("Qt / PySide6", "LGPL-3.0", "https://www.gnu.org/licenses/lgpl-3.0.html"),
    ("llama.cpp / llama-cpp-python", "MIT", "https://opensource.org/license/mit"),
    ("mistral-common", "Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
    *icon_font_licences(),
    ("Pixtral Desk", "Apache-2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
)  # fmt: skip
"""(component, SPDX id, license text URL); shown in the About dialog."""


def open_folder(path: Path) -> bool:
    """Open ``path`` (or, for a file or a folder not made yet, its nearest existing parent)
    in the system file manager."""
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class AboutDialog(QDialog):
    """Version, what the app is, licenses, and the data/settings/models/logs locations."""

    def __init__(
        self,
        data_dir: Path,
        log_dir: Path,
        config_path: Path,
        parent: QWidget | None = None,
        models_dir: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Pixtral Desk")
        self.locations: dict[str, Path] = {
            "History (conversations and images)": Path(data_dir),
            "Settings file": Path(config_path),
            "Models (Hugging Face cache)": Path(models_dir or hub_cache_dir()),
            "Logs and crash reports": Path(log_dir),
        }
        self.path_fields: dict[str, QLineEdit] = {}
        self.open_buttons: dict[str, QPushButton] = {}

        title = QLabel(f"Pixtral Desk {__version__}")
        title.setObjectName("dialogTitle")
        blurb = QLabel(
            "A desktop chat for Mistral's Pixtral 12B vision-language model. It runs the model "
            "on this computer through llama.cpp, or on La Plateforme or any OpenAI-compatible "
            "server. Conversations stay on this computer."
        )
        blurb.setWordWrap(True)
        self.licenses = QLabel(self._licenses_html())
        self.licenses.setOpenExternalLinks(True)
        self.licenses.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.licenses.setAccessibleName("Licenses")
        licenses_box = Section("Licenses", "What Pixtral Desk is built on, and under which terms.")
        licenses_box.body.addWidget(self.licenses)

        buttons = button_row(
            QDialogButtonBox(QDialogButtonBox.StandardButton.Close),
            QDialogButtonBox.StandardButton.Close,
        )
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(SPACING["md"])
        layout.addWidget(title)
        layout.addWidget(blurb)
        layout.addWidget(licenses_box)
        layout.addWidget(self._locations_box())
        layout.addWidget(buttons)
        self.setMinimumWidth(640)
        self.setMinimumHeight(self.sizeHint().height())  # never clip the licences or paths
        self.resize(720, self.sizeHint().height())

    def _licenses_html(self) -> str:
        rows = "".join(
            f"<tr><td style='padding: 2px 16px 2px 0'>{name}</td>"
            f"<td style='padding: 2px 0'><a href='{url}'>{spdx}</a></td></tr>"
            for name, spdx, url in LICENSES
        )
        return f"<table>{rows}</table>"

    def _locations_box(self) -> Section:
        box = Section(
            "Where your data is stored",
            "Copy a path into a bug report or a backup tool, or open the folder.",
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(SPACING["md"])
        grid.setVerticalSpacing(SPACING["sm"])
        box.body.addLayout(grid)
        for row, (label, path) in enumerate(self.locations.items()):
            field = QLineEdit(str(path))
            field.setReadOnly(True)  # selectable and copyable, not editable
            field.setCursorPosition(0)
            field.setToolTip(str(path))
            field.setAccessibleName(label)
            button = QPushButton("Open folder")
            button.setAccessibleName(f"Open folder: {label}")
            button.setToolTip(f"Show {label.lower()} in the file manager")
            button.clicked.connect(lambda _=False, p=path: open_folder(p))
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(field, row, 1)
            grid.addWidget(button, row, 2)
            self.path_fields[label] = field
            self.open_buttons[label] = button
        grid.setColumnStretch(1, 1)
        return box


def show_crash_dialog(summary: str, report: Path, parent: QWidget | None = None) -> QMessageBox:
    """Tell the user something went wrong and where the report is; returns at once.

    Non-modal ``show()`` rather than ``exec()``: the crash may have happened inside a slot, and
    a nested event loop there can re-enter the code that just failed. Tests read the returned
    box's ``text()`` / ``informativeText()`` directly.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Pixtral Desk: unexpected error")
    box.setText(f"Something went wrong: {summary}")
    box.setInformativeText(
        "Your conversations are saved. A crash report was written to:\n"
        f"{report}\n\nPlease attach it if you report the problem. It contains no API keys "
        "and no message text."
    )
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.open_button = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
    box.open_button.clicked.connect(lambda: open_folder(report))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
    return box


class CrashNotifier(QObject):
    """A ``show`` for ``install_excepthook`` that is safe to call from any thread.

    Created in the GUI thread; calling it emits a signal, which Qt queues to the GUI thread
    when the caller is a worker thread, and there the dialog opens.
    """

    requested = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialogs: list[QMessageBox] = []
        self.requested.connect(self._show)

    def __call__(self, summary: str, report: Path) -> None:
        self.requested.emit(summary, str(report))

    @Slot(str, str)
    def _show(self, summary: str, report: str) -> None:
        app = QApplication.instance()
        if app is None:
            return
        parent = app.activeWindow() if isinstance(app, QApplication) else None
        self.dialogs = [d for d in self.dialogs if _alive(d)]
        self.dialogs.append(show_crash_dialog(summary, Path(report), parent))


def _alive(widget: QWidget) -> bool:
    try:
        widget.isVisible()
    except RuntimeError:  # deleted on close
        return False
    return True
