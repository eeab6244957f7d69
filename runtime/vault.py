"""Opening the vault personal data is sealed with, from the settings (DSR_KEY_ENCRYPTION_KEY,
DSR_KEY_ENCRYPTION_KEY_FILE, DSR_KEYRING_DIR): the key files are read here, not in the
settings."""

from __future__ import annotations

from runtime.settings import Settings
from store.keyring import DirectoryKeyring, load_key_encryption_key
from store.sealing import Vault


def open_vault(settings: Settings, *, create: bool = True) -> Vault:
    """The vault the service seals personal data with; on the embedded default its
    key-encryption key is made on first start (`create`: the worker does, the command line
    and the API alone find the one it made)."""
    kek = load_key_encryption_key(
        settings.key_encryption_key_file(),
        text=settings.personal_data.key_encryption_key,
        create=create and settings.personal_data.key_encryption_key_path is None,
    )
    return Vault.of(DirectoryKeyring(settings.keyring_folder(), kek), kek)
