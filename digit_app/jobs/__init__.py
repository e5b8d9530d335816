"""Training jobs: one at a time per server (and per models folder), run in a low-priority process of their own."""
