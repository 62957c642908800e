"""Getting started and changing things: the setup assistant, the models page, settings, the API
key dialog and About.
"""
