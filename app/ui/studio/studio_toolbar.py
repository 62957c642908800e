"""The studio's header strip: which version is shown, what can be done with it, and the status.

One place decides which of the studio's actions are open: "Fix differences" needs a finished
version, its render and the original to compare with; nothing but Stop while a version is being
written (switching versions then would show a page the answer is about to replace).
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QPushButton

from app.ui.studio.studio_panes import studio_bar


class StudioToolbar:
    """The header's widgets (the studio exposes them under the same names) and the strip
    that lays them out (``widget``)."""

    def __init__(self) -> None:
        self.version_box = QComboBox()
        self.version_box.setAccessibleName("Version")
        self.version_box.setMinimumContentsLength(18)
        self.refine_button = QPushButton("Fix differences")
        self.refine_button.setToolTip(
            "Send the original and this version's render to Pixtral and ask it to fix every "
            "difference (a new version)"
        )
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save .html…")
        self.copy_button = QPushButton("Copy HTML")
        self.status = QLabel("")
        self.status.setAccessibleName("Studio status")
        self.status.setWordWrap(True)  # a long message takes two lines, never a wider window
        self.refine_button.setProperty("primary", True)  # the studio's one main action
        self.stop_button.setProperty("danger", True)
        self.status.setObjectName("dialogNote")
        self.widget = studio_bar(
            (QLabel("Version"), self.version_box, self.refine_button, self.stop_button),
            self.status,
            (self.copy_button, self.save_button),
        )

    def update_actions(self, *, has_version: bool, generating: bool, can_compare: bool) -> None:
        """Open the actions that make sense now; ``can_compare``: the version's render and the
        original are both there."""
        self.refine_button.setEnabled(has_version and not generating and can_compare)
        self.stop_button.setVisible(generating)
        self.save_button.setEnabled(has_version)
        self.copy_button.setEnabled(has_version)
        self.version_box.setEnabled(not generating and has_version)
