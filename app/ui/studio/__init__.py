"""Screenshot to HTML: the studio window, its live preview and off-screen renderer, and the
sandboxed web view (Chromium switches, Content-Security-Policy, API removal) pages run in.
"""
