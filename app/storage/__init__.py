"""Persistent chat history: stdlib sqlite3 + content-addressed blob files, no Qt.

The UI talks to ``HistoryStore``; errors it should show are ``StorageError`` subclasses.
"""

from app.storage.errors import StorageError
from app.storage.history import HistoryStore

__all__ = ["HistoryStore", "StorageError"]
