"""Reading a drawing from its strokes: pen trajectories in drawing order, pen lifts kept.

A canvas hands over each stroke as a path; a pen tablet records the same thing. This package reads
both (`canvas`, `unipen`), keeps the 30 writers' real pen digits the app learns from (`pen_digits`),
turns one digit's strokes into the fixed-size sequence the stroke model reads (`features`), and
splits a written number into digits without cutting a stroke (`grouping`).
"""
