"""PDFs: the page picker, the one document thread every document call runs on (pdfium itself
runs in a process per document) and the cited-page viewer.
"""
