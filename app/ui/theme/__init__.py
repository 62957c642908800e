"""The look in one place: design tokens, the one application stylesheet and palette, icons.

Widgets ask for roles ("accent", "danger", a spacing step) instead of writing colours, so a
change of palette or of the OS light/dark setting is one edit here, not a hunt through rooms.
"""
