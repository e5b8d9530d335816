"""Draw a digit, read it right.

The modules here read a drawing (`preprocess`, `model` and `prediction` are the public API, `strokes/`
reads a drawing's strokes); `training/` learns, `store/` keeps files, `serving/` runs training for
many people at once, and `ui/` holds the Streamlit pages.
"""
