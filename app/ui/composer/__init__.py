"""What the user is about to send: the message box, pending images (decoded off the GUI thread),
drops and pastes, screen capture, presets and the context meter.
"""
