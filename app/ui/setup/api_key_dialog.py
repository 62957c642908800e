"""Set, test and remove the La Plateforme API key, with where it is kept shown plainly.

The key goes to the OS keyring through ``ApiKeys`` (never the settings file); when no keyring
exists the dialog says the key lasts for this session only. "Test" makes the cheapest
authenticated call (``models.list``) so a typo shows up here, not mid-conversation.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.api_keys import MISTRAL, ApiKeys, KeySource
from app.ui.theme.dialog_parts import Section, mark_primary
from app.ui.theme.tokens import SPACING

# Returns a sentence describing the result; raises with a human message on failure.
KeyTester = Callable[[str], str]


def mistral_key_tester(server_url: str = "https://api.mistral.ai") -> KeyTester:
    def test(key: str) -> str:
        from app.engine.mistral_api import MistralBackend

        backend = MistralBackend(key, server_url=server_url, timeout_s=15)
        try:
            vision = backend.vision_models()
        finally:
            backend.close()
        return f"The key works: {len(vision)} vision models available."

    return test


class ApiKeyDialog(QDialog):
    """A small dialog over ``ApiKeys``; the test runs inline (it is one short request)."""

    def __init__(
        self,
        keys: ApiKeys,
        tester: KeyTester,
        account: str = MISTRAL,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("La Plateforme API key")
        self._keys, self._tester, self._account = keys, tester, account
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste your API key")
        self.key_edit.setAccessibleName("API key")
        self.storage_label = QLabel()
        self.storage_label.setObjectName("dialogNote")
        self.storage_label.setWordWrap(True)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Keep the key in the system keyring")
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip("Ask La Plateforme whether the key works")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Forget the saved key")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        section = Section(
            "API key",
            "Your key for La Plateforme, from console.mistral.ai. It never goes in "
            "the settings file.",
        )
        section.add_row("Key", self.key_edit)
        row = QHBoxLayout()
        row.setSpacing(SPACING["sm"])
        row.addWidget(self.remove_button)
        row.addStretch(1)
        row.addWidget(self.test_button)
        row.addWidget(self.save_button)
        section.add_wide(row)
        section.body.addWidget(self.storage_label)
        section.body.addWidget(self.result_label)
        mark_primary(self.save_button)  # Enter in the key field saves what was pasted
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(section)
        layout.addWidget(close)
        self.setMinimumWidth(480)
        self._refresh()
        self.setMinimumSize(self.sizeHint())  # wrapped notes: smaller would clip their lines

    def _refresh(self) -> None:
        status = self._keys.status()
        _, source = self._keys.lookup(self._account)
        where = {
            KeySource.ENVIRONMENT: "A key is set by MISTRAL_API_KEY in the environment; it "
            "takes precedence over the one saved here.",
            KeySource.KEYRING: "A key is saved in the system keyring.",
            KeySource.SESSION: "A key is kept for this session only.",
            KeySource.NONE: "No key is set.",
        }[source]
        self.storage_label.setText(f"{where}\n{status.message}")
        self.remove_button.setEnabled(source in (KeySource.KEYRING, KeySource.SESSION))

    def _on_save_button_clicked(self) -> None:
        text = self.key_edit.text().strip()
        if not text:
            self.result_label.setText("Paste a key first.")
            return
        where = self._keys.set(text, self._account)
        self.key_edit.clear()
        self.result_label.setText(
            "Saved in the system keyring."
            if where is KeySource.KEYRING
            else "No keyring available: the key is kept for this session only."
        )
        self._refresh()

    def _on_test_button_clicked(self) -> None:
        key = self.key_edit.text().strip() or self._keys.get(self._account)
        if not key:
            self.result_label.setText("No key to test.")
            return
        try:
            self.result_label.setText(self._tester(key))
        except Exception as exc:  # the tester's message is written for people
            self.result_label.setText(f"The test failed: {exc}")

    def _on_remove_button_clicked(self) -> None:
        self._keys.remove(self._account)
        self.result_label.setText("The key was removed.")
        self._refresh()
