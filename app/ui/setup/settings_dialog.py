"""Settings: the engine options (built from the declarations in ``app.settings``) and, for the
open conversation, its system prompt.

The form is generated from ``SETTINGS`` so a new setting appears here, in the INI file and on
the command line at once.
"""

from __future__ import annotations

from typing import Any, cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.backends import LA_PLATEFORME, LOCAL
from app.settings import SETTINGS, SETTINGS_BY_KEY, Setting, Settings
from app.storage.history import default_data_dir
from app.ui.common.background import run_in_background
from app.ui.common.path_edit import PathEdit
from app.ui.common.screen_area import available_area
from app.ui.setup.setting_words import CHOICES, SECTIONS, SPECIAL_VALUES, label
from app.ui.setup.state_cache_section import add_state_cache_usage
from app.ui.theme.dialog_parts import Section, StatusNote, button_row, section_page
from app.ui.theme.tokens import SPACING

_FILE_SETTINGS = {
    "model": ("Choose the Pixtral model", "GGUF models (*.gguf);;All files (*)"),
    "mmproj": ("Choose the vision projector (mmproj)", "GGUF models (*.gguf);;All files (*)"),
}


def _comfortable_height(dialog: QDialog) -> int:
    """680 px, taller where the screen has room (up to 820): the Models tab shows its models,
    the folders searched and the selected model's settings at once, and at 680 the models
    table had room for a row and a half."""
    room = int(available_area(dialog).height() * 0.85)
    return max(680, min(820, room))


def choose(combo: QComboBox, value: str) -> None:
    """Select the item whose value (item data) is ``value``."""
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


class SettingsDialog(QDialog):
    overrides_changed = Signal()  # a model's own GPU layers / context / KV type were saved

    def __init__(
        self, settings: Settings, system_prompt: str | None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.settings = settings
        self.editors: dict[str, QWidget] = {}
        self.sections: dict[str, Section] = {}  # by heading, for pages that add rows
        tabs = QTabWidget()
        tabs.setObjectName("dialogTabs")
        for title, sections in SECTIONS:
            if title == "Remote":
                tabs.addTab(self._remote_tab(sections), title)
            else:
                tabs.addTab(self._page(sections), title)
            if title == "Engine":  # installed models come right after the engine's files
                tabs.addTab(self._models_tab(), "Models")
        self.state_cache_usage = add_state_cache_usage(self.sections)  # size used, Clear
        listed = {key for _, sections in SECTIONS for *_, keys in sections for key in keys}
        others = tuple(s.key for s in SETTINGS if s.key not in listed)
        if others:  # a setting declared since the tabs were drawn still gets its row
            tabs.addTab(self._page((("More settings", "", others),)), "More")
        self.system_prompt = QPlainTextEdit(system_prompt or "")
        self.system_prompt.setAccessibleName("System prompt of this conversation")
        self.system_prompt.setPlaceholderText("Instructions for this conversation (optional)")
        self.system_prompt.setEnabled(system_prompt is not None)
        chat = Section(
            "System prompt",
            "Instructions the model reads with every message of this conversation."
            if system_prompt is not None
            else "Open a conversation to give it instructions of its own.",
        )
        chat.body.addWidget(self.system_prompt, 1)
        tabs.addTab(section_page(chat), "This chat")
        buttons = button_row(
            QDialogButtonBox(
                QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
            ),
            QDialogButtonBox.StandardButton.Save,
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)
        self.setMinimumSize(600, 480)
        self.resize(700, _comfortable_height(self))

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                data = editor.currentData()
                out[key] = data if data is not None else editor.currentText()
            elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
                out[key] = editor.value()
            elif isinstance(editor, QLineEdit):
                out[key] = editor.text().strip()
        return out

    def apply(self) -> None:
        """Write the edited values to the settings file."""
        for key, value in self.values().items():
            self.settings[key] = value
        self.settings.save()

    def _models_tab(self) -> QWidget:
        """Installed model pairs, found by their GGUF headers; "Use" sets the model at once."""
        from app.models.model_folders import ModelFolders
        from app.models.model_overrides import ModelOverrides
        from app.ui.setup.models_page import ModelsPage

        self.models_page = ModelsPage(
            self,
            default_model=str(self.settings["model"]),
            overrides=ModelOverrides.beside(self.settings.path),
            folders=ModelFolders.beside(self.settings.path),
            defaults={k: self.settings[k] for k in ("n_gpu_layers", "n_ctx", "kv_type")},
        )
        self.models_page.overrides_saved.connect(lambda _model: self.overrides_changed.emit())
        self.models_page.default_changed.connect(self._on_models_page_default_changed)
        self.models_page.refresh()
        return self.models_page

    def _on_models_page_default_changed(self, model: str, mmproj: str) -> None:
        for key, value in (("model", model), ("mmproj", mmproj), ("backend", LOCAL.kind)):
            editor = self.editors.get(key)
            if isinstance(editor, QLineEdit):
                editor.setText(value)
            elif isinstance(editor, QComboBox):
                choose(editor, value)

    def _remote_tab(self, sections: tuple[tuple[str, str, tuple[str, ...]], ...]) -> QWidget:
        page = self._page(sections)
        key_button = QPushButton("API key…")
        key_button.setAccessibleName("La Plateforme API key")
        key_button.setToolTip("Set, test or remove the key; it is kept in the OS keyring.")
        key_button.clicked.connect(self._on_key_button_clicked)
        models_button = QPushButton("Choose a model…")
        models_button.setAccessibleName("Choose a La Plateforme model")
        models_button.setToolTip("Ask La Plateforme which models accept images")
        models_button.clicked.connect(self._on_models_button_clicked)
        self.remote_status = StatusNote("dialogNote")
        row = QHBoxLayout()
        row.setSpacing(SPACING["sm"])
        row.addWidget(key_button)
        row.addWidget(models_button)
        row.addStretch(1)
        plateforme = self.sections[sections[0][0]]
        plateforme.add_wide(row)
        plateforme.add_wide(self.remote_status)
        return page

    def _on_models_button_clicked(self) -> None:
        """List the vision models off the GUI thread, then let the user pick one."""
        spec = LA_PLATEFORME
        values = {**dict(self.settings.items()), **self.values(), "backend": spec.kind}
        self.remote_status.setText("Asking La Plateforme…")

        def fetch() -> tuple[list[str], str]:
            from app.backends import make_backend
            from app.engine.capabilities import ModelLister
            from app.engine.mistral_api import default_model

            backend = cast(ModelLister, make_backend(values))
            try:
                models = backend.vision_models()
            finally:
                backend.close()
            return [m.id for m in models], default_model(models, values[spec.model_key])

        def failed(error: Exception) -> None:
            message = getattr(getattr(error, "error", None), "message", None) or str(error)
            self.remote_status.setText(message)

        run_in_background(fetch, self._on_models_fetched, failed, guard=self)

    def _on_models_fetched(self, result: tuple[list[str], str]) -> None:
        names, preferred = result
        if not names:
            self.remote_status.setText("This key offers no model that accepts images.")
            return
        self.remote_status.setText(f"{len(names)} vision models offered.")
        current = names.index(preferred) if preferred in names else 0
        chosen, ok = QInputDialog.getItem(
            self, "La Plateforme model", "Models that accept images:", names, current, False
        )
        editor = self.editors.get(LA_PLATEFORME.model_key)
        if ok and isinstance(editor, QLineEdit):
            editor.setText(chosen)

    def _on_key_button_clicked(self) -> None:
        from app.engine.api_keys import ApiKeys
        from app.ui.setup.api_key_dialog import ApiKeyDialog, mistral_key_tester

        key = LA_PLATEFORME.url_key
        url = self.values().get(key) or self.settings[key]
        ApiKeyDialog(ApiKeys(), mistral_key_tester(url), LA_PLATEFORME.key_account, self).exec()

    def _page(self, sections: tuple[tuple[str, str, tuple[str, ...]], ...]) -> QWidget:
        """A tab: one titled section per group, each row a setting's editor under its label."""
        shown = []
        for heading, description, keys in sections:
            section = Section(heading, description)
            for key in keys:
                setting = SETTINGS_BY_KEY[key]
                editor, row = self._editor(setting)
                if isinstance(editor, PathEdit):
                    editor.set_note(setting.doc)  # the tooltip starts with the whole path
                else:
                    editor.setToolTip(setting.doc)
                # "Model" under two headings: the heading tells them apart for screen readers.
                twice = sum(label(k) == label(key) for *_, ks in sections for k in ks) > 1
                editor.setAccessibleName(f"{heading} {label(key).lower()}" if twice else label(key))
                self.editors[key] = editor
                section.add_row(label(key), row)
            self.sections[heading] = section
            shown.append(section)
        return section_page(*shown)

    def _editor(self, setting: Setting) -> tuple[QWidget, QWidget]:
        value = self.settings[setting.key]
        if setting.choices:
            combo = QComboBox()
            labels = CHOICES.get(setting.key, {})
            for choice in setting.choices:
                combo.addItem(labels.get(choice, choice), choice)
            choose(combo, str(value))
            return combo, combo
        if setting.kind is int:
            spin = QSpinBox()
            spin.setRange(*map(int, setting.bounds or (0, 2**31 - 1)))
            spin.setValue(int(value))
            if setting.key in SPECIAL_VALUES:
                spin.setSpecialValueText(SPECIAL_VALUES[setting.key])
            return spin, spin
        if setting.kind is float:
            double = QDoubleSpinBox()
            double.setRange(*map(float, setting.bounds or (0.0, 100.0)))
            double.setSingleStep(0.05)
            double.setDecimals(2)
            double.setValue(float(value))
            return double, double
        if setting.key not in _FILE_SETTINGS and setting.key != "data_dir":
            line = QLineEdit(str(value))
            return line, line
        line = PathEdit(str(value))
        if setting.key == "data_dir":  # empty means the default: say which folder that is
            line.setPlaceholderText(f"{default_data_dir()} (the default)")
        browse = QPushButton("Browse…")
        browse.setAccessibleName(f"Browse for {label(setting.key)}")
        browse.clicked.connect(lambda: self._browse(setting.key, line))
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(line, 1)
        box.addWidget(browse)
        return line, row

    def _browse(self, key: str, line: QLineEdit) -> None:
        if key == "data_dir":
            chosen = QFileDialog.getExistingDirectory(
                self, "Choose the history folder", line.text() or str(default_data_dir())
            )
        else:
            title, filters = _FILE_SETTINGS[key]
            chosen, _ = QFileDialog.getOpenFileName(self, title, line.text(), filters)
        if chosen:
            line.setText(chosen)
