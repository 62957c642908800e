"""The conversation as it is read: the transcript model, its delegate (layout, pixmaps, painting),
Markdown rendering and page-citation links.
"""
