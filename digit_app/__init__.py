"""Draw a digit, read it right.

The modules here read a drawing (`preprocess`, `model` and `prediction` are the public API, `strokes/`
reads a drawing's strokes); `training/` learns, `store/` keeps files, `jobs/` runs one training at a
time in a process of its own, `access/` decides who may change things, and `ui/` holds the Streamlit
pages. `sizes`, `errors` and `settings` are the ground every other module stands on.
"""
