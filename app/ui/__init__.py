"""The window layer: the only package that imports Qt, split into rooms that import one way.

    common → theme → session → transcript → composer → documents → studio → setup → window

Each room may import from itself and the rooms before it, never after (``tests/test_layers.py``
checks every import statement): ``session`` knows no widget, ``window`` may use them all. Below
``ui``, the app is plain Python: ``workflows`` → ``engine``/``storage``/``models`` → ``core``.
"""
