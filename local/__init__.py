"""Running the system on one machine without AWS (``make dev``, tests, the bench).

Nothing here is packaged into Lambda: Chalice packages only ``app.py`` and
``chalicelib/``, so this package may use moto, aiohttp and other dev tools.
"""
