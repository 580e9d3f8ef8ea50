"""Settings: the cloud key and model, the on-device model, approvals, domains, vault secrets.

Secrets go to the keyring and are never shown again: the key field only ever says whether a
key is stored and where it really is (the system keyring, or keyrings.alt's plaintext file on a
machine without one), and the vault list shows names. Everything else is saved in the typed
settings file (app.settings).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import keyring
from keyring.errors import KeyringError, PasswordDeleteError
from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.qt.explain import keyring_location
from app.qt.widgets import FlowLayout, StatusLine, wrapping
from app.settings import AppSettings, SettingsError, save_settings
from core.errors import ModelError, SymbioteError
from core.models import Registry
from core.policies.cloud import KEYRING_API_KEY, KEYRING_SERVICE

log = logging.getLogger(__name__)

# ValueError: a bad secret name or an empty value; RuntimeError: core.privacy.vault.VaultError
# (an unreadable index, an unusable backend); KeyringError: the keyring itself failed.
VAULT_ERRORS = (SymbioteError, KeyringError)

APPROVAL_HELP = {
    "always": "Ask before every cloud request.",
    "redacted": "Ask only when private data was replaced by placeholders.",
    "never": "Never ask (the audit still records every request).",
}


def _keyring_error(exc: Exception) -> str:
    return (f"the system keyring is not available ({exc}); install and unlock one "
            "(e.g. gnome-keyring) and try again")


def api_key_stored() -> bool:
    try:
        return bool(keyring.get_password(KEYRING_SERVICE, KEYRING_API_KEY))
    except KeyringError:
        log.debug("no keyring for the API key", exc_info=True)
        return False


def api_key_location() -> str:
    """Where a stored key is (or would go), in words; '' when there is no keyring at all."""
    try:
        return keyring_location(keyring.get_keyring())
    except KeyringError:
        return ""


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    # a label above its field when the row does not fit (narrow window, large font)
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def _wrapping(label: QLabel) -> QLabel:
    return wrapping(label)


def _row(*widgets: QWidget, stretch_first: bool = True) -> QWidget:
    """Widgets side by side, wrapping to a new line when there is no room."""
    row = QWidget()
    flow = FlowLayout(row)
    for widget in widgets:
        flow.addWidget(widget)
    return row


WIDE = 900  # px: two columns of boxes from here on


class SettingsPanel(QWidget):
    saved = Signal(object)  # AppSettings
    key_changed = Signal()  # the API key was stored or removed

    def __init__(self, settings: AppSettings, *, vault: object = None,
                 settings_file: Path | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.vault = vault
        self.settings_file = settings_file
        self._boxes = [self._cloud_box(), self._privacy_box(), self._model_box(),
                       self._vault_box()]
        self.grid = QGridLayout()
        self._columns = 0
        self._arrange(1)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.addLayout(self.grid)
        inner_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("settingsScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(inner)
        # The Save row stays in view below the scrolling boxes, whatever the font size.
        save_row = QHBoxLayout()
        save_row.setContentsMargins(9, 0, 9, 9)
        self.save_button = QPushButton("&Save settings")
        self.save_button.setObjectName("saveSettings")
        self.status = StatusLine()
        save_row.addWidget(self.status, 1)
        save_row.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(save_row)
        self.save_button.clicked.connect(self.save)
        self.load(settings)

    def _arrange(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for box in self._boxes:
            self.grid.removeWidget(box)
        for i, box in enumerate(self._boxes):
            self.grid.addWidget(box, i // columns if columns > 1 else i,
                                i % columns if columns > 1 else 0)
        for col in range(2):
            self.grid.setColumnStretch(col, 1 if col < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._arrange(2 if self.width() >= WIDE else 1)

    # --- sections ---------------------------------------------------------------------------

    def _cloud_box(self) -> QGroupBox:
        box = QGroupBox("Cloud model (Anthropic)")
        form = _form(box)
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("apiKeyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_status = _wrapping(QLabel())
        self.key_status.setObjectName("keyStatus")
        save_key = QPushButton("Store &key")
        remove_key = QPushButton("Remove key")
        key_label = QLabel("API &key:")
        key_label.setBuddy(self.key_edit)
        form.addRow(key_label, self.key_edit)
        form.addRow("", _row(save_key, remove_key))
        form.addRow("", self.key_status)
        self.model_edit = QLineEdit()
        form.addRow("Model:", self.model_edit)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://api.anthropic.com (default)")
        form.addRow("Base URL:", self.url_edit)
        save_key.clicked.connect(self.store_api_key)
        remove_key.clicked.connect(self.remove_api_key)
        return box

    def _model_box(self) -> QGroupBox:
        box = QGroupBox("On-device model")
        form = _form(box)
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(12)
        use = QPushButton("Use this model")
        form.addRow("Model:", self.model_combo)
        form.addRow("", _row(use))
        self.model_status = _wrapping(QLabel())
        form.addRow("", self.model_status)
        use.clicked.connect(self.use_model)
        return box

    def _privacy_box(self) -> QGroupBox:
        box = QGroupBox("Privacy")
        form = _form(box)
        self.approval_combo = QComboBox()
        self.approval_combo.addItems(list(APPROVAL_HELP))
        self.approval_help = _wrapping(QLabel())
        self.approval_combo.currentTextChanged.connect(
            lambda p: self.approval_help.setText(APPROVAL_HELP[p]))
        form.addRow("Approval:", self.approval_combo)
        form.addRow("", self.approval_help)
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(5, 3600)
        self.timeout_spin.setSuffix(" s (then Deny)")
        form.addRow("Approval timeout:", self.timeout_spin)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(0, 200)
        self.steps_spin.setSpecialValueText("task default")
        form.addRow("Step budget:", self.steps_spin)
        self.domains_edit = QPlainTextEdit()
        self.domains_edit.setPlaceholderText("One domain per line; empty: the start URL's host")
        self.domains_edit.setFixedHeight(60)
        form.addRow("Allowed domains:", self.domains_edit)
        self.always_list = QListWidget()
        self.always_list.setFixedHeight(60)
        forget = QPushButton("Forget site")
        form.addRow("Always approved:", self.always_list)
        form.addRow("", forget)
        forget.clicked.connect(self._forget_site)
        return box

    def _vault_box(self) -> QGroupBox:
        box = QGroupBox("Vault secrets")
        layout = QVBoxLayout(box)
        layout.addWidget(_wrapping(QLabel("The agent types them where a task writes "
                                          "{{secret:NAME}}; models never see the values.")))
        self.vault_list = QListWidget()
        self.vault_list.setObjectName("vaultList")
        self.vault_list.setFixedHeight(90)
        layout.addWidget(self.vault_list)
        self.secret_name = QLineEdit()
        self.secret_name.setPlaceholderText("name, e.g. bank_password")
        self.secret_value = QLineEdit()
        self.secret_value.setPlaceholderText("value (never shown again)")
        self.secret_value.setEchoMode(QLineEdit.EchoMode.Password)
        add = QPushButton("Add")
        remove = QPushButton("Remove")
        layout.addWidget(self.secret_name)
        layout.addWidget(self.secret_value)
        layout.addWidget(_row(add, remove))
        self.vault_status = _wrapping(QLabel())
        self.vault_status.setObjectName("vaultStatus")
        layout.addWidget(self.vault_status)
        add.clicked.connect(self.add_secret)
        remove.clicked.connect(self.remove_secret)
        if self.vault is None:
            for widget in (self.secret_name, self.secret_value, add, remove):
                widget.setEnabled(False)
            self.vault_status.setText("The vault is not available in this installation.")
        return box

    # --- state ------------------------------------------------------------------------------

    def load(self, settings: AppSettings) -> None:
        self.settings = settings
        self.model_edit.setText(settings.cloud_model)
        self.url_edit.setText(settings.cloud_base_url or "")
        self.approval_combo.setCurrentText(settings.approval)
        self.approval_help.setText(APPROVAL_HELP[settings.approval])
        self.timeout_spin.setValue(settings.approval_timeout_s)
        self.steps_spin.setValue(settings.max_steps or 0)
        self.domains_edit.setPlainText("\n".join(settings.allowed_domains))
        self.show_always_sites(settings.always_approve_sites)
        self._show_key_status()
        self._load_models()
        self._load_vault()

    def show_always_sites(self, sites: list[str]) -> None:
        self.always_list.clear()
        self.always_list.addItems(sites)

    def collect(self) -> AppSettings:
        """The form as settings; raises ValidationError naming the bad field."""
        data = self.settings.model_dump()
        data.update(
            cloud_model=self.model_edit.text().strip(),
            cloud_base_url=self.url_edit.text().strip() or None,
            approval=self.approval_combo.currentText(),
            approval_timeout_s=self.timeout_spin.value(),
            max_steps=self.steps_spin.value() or None,
            allowed_domains=self.domains_edit.toPlainText().split(),
            always_approve_sites=[self.always_list.item(i).text()
                                  for i in range(self.always_list.count())])
        return AppSettings.model_validate(data)

    def save(self) -> bool:
        try:
            settings = self.collect()
            path = save_settings(settings, self.settings_file)
        except ValidationError as exc:
            first = exc.errors()[0]
            self._say(f"not saved: {first['loc'][0]}: {first['msg']}", error=True)
            return False
        except SettingsError as exc:
            self._say(str(exc), error=True)
            return False
        self.settings = settings
        self.domains_edit.setPlainText("\n".join(settings.allowed_domains))  # as normalized
        self._say(f"Saved to {path}.")
        self.saved.emit(settings)
        return True

    def _forget_site(self) -> None:
        for item in self.always_list.selectedItems():
            self.always_list.takeItem(self.always_list.row(item))

    # --- API key ----------------------------------------------------------------------------

    def _show_key_status(self) -> None:
        where = api_key_location()
        if api_key_stored():
            self.key_edit.setPlaceholderText("a key is stored (type a new one to replace it)")
            self.key_status.setText(f"A key is stored in {where or 'the keyring'}. Type a new "
                                    "one to replace it.")
        else:
            self.key_edit.setPlaceholderText("sk-ant-…")
            env = (" ANTHROPIC_API_KEY is set and is used." if os.environ.get(
                "ANTHROPIC_API_KEY") else " (ANTHROPIC_API_KEY is used when set.)")
            self.key_status.setText(
                (f"No key stored. A key you store goes to {where}." if where
                 else "No key stored, and there is no keyring to store one in.") + env)

    def store_api_key(self) -> None:
        key = self.key_edit.text().strip()
        if not key:
            self.key_status.setText("Type the key first.")
            return
        try:
            keyring.set_password(KEYRING_SERVICE, KEYRING_API_KEY, key)
        except KeyringError as exc:
            self.key_status.setText(_keyring_error(exc))
            return
        finally:
            self.key_edit.clear()  # never left on screen, stored or not
        self._show_key_status()
        self.key_changed.emit()

    def remove_api_key(self) -> None:
        try:
            keyring.delete_password(KEYRING_SERVICE, KEYRING_API_KEY)
        except PasswordDeleteError:
            pass  # nothing stored: the goal is reached
        except KeyringError as exc:
            self.key_status.setText(_keyring_error(exc))
            return
        self._show_key_status()
        self.key_changed.emit()

    # --- on-device model --------------------------------------------------------------------

    def _load_models(self) -> None:
        self.model_combo.clear()
        try:
            registry = Registry()
            active = registry.active_name
            for entry, origin in registry.entries():
                self.model_combo.addItem(f"{entry.name} ({entry.kind}, {origin})", entry.name)
            self.model_combo.setCurrentIndex(max(self.model_combo.findData(active), 0))
            self.model_status.setText(f"Active: {active}")
        except ModelError as exc:
            self.model_status.setText(str(exc))

    def use_model(self) -> None:
        name = self.model_combo.currentData()
        if name is None:
            return
        try:
            Registry().use(name)
        except ModelError as exc:
            self.model_status.setText(f"not changed: {exc}")
            return
        self.model_status.setText(f"Active: {name}")

    # --- vault ------------------------------------------------------------------------------

    def _load_vault(self) -> None:
        if self.vault is None:
            return
        self.vault_list.clear()
        self.vault_status.setText(f"Secrets are stored in {self.vault_location()}.")
        try:
            self.vault_list.addItems(self.vault.names())  # type: ignore[attr-defined]
        except VAULT_ERRORS as exc:
            log.debug("vault unreadable", exc_info=True)
            self.vault_status.setText(str(exc))

    def add_secret(self) -> None:
        name, value = self.secret_name.text().strip(), self.secret_value.text()
        self.secret_value.clear()  # never left on screen, stored or not
        if not name or not value:
            self.vault_status.setText("Give the secret a name and a value.")
            return
        try:
            self.vault.set(name, value)  # type: ignore[attr-defined]
        except VAULT_ERRORS as exc:  # a bad name, an unusable keyring: the message says which
            log.debug("vault write failed", exc_info=True)
            self.vault_status.setText(f"not stored: {exc}")
            return
        self.secret_name.clear()
        self._load_vault()
        self.vault_status.setText(f"Stored {name!r} in {self.vault_location()}. Tasks can use "
                                  f"{{{{secret:{name}}}}}.")

    def remove_secret(self) -> None:
        items = self.vault_list.selectedItems()
        if not items:
            self.vault_status.setText("Select a secret to remove.")
            return
        for item in items:
            try:
                self.vault.delete(item.text())  # type: ignore[attr-defined]
            except VAULT_ERRORS as exc:
                log.debug("vault delete failed", exc_info=True)
                self.vault_status.setText(f"not removed: {exc}")
                return
        self._load_vault()
        self.vault_status.setText(f"Removed {len(items)} secret(s).")

    def vault_location(self) -> str:
        describe = getattr(self.vault, "describe", None)
        return describe() if callable(describe) else "the vault"

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.say(text, error=error)
