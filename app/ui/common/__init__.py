"""Pieces every room of the window uses: background tasks (``run_in_background``), Qt↔Pillow
image conversion and the image viewer. Imports no other room.
"""
