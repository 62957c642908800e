"""The main window and what only it owns: sidebar, engine header, empty state, backend switching
and the actions on messages and conversations. May import every other room.
"""
