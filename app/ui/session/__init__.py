"""The chat session: a conversation's turns and its history half (list, open, rename, trash,
versions) on the storage thread; the engine's owner (which backend the settings call for, what
its model reported); and the engine bridge that turns backend events into signals on the GUI
thread. Knows no widget; imports only ``common``.
"""
