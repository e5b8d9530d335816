"""Serving many people from one server: the operator gate, and one training job at a time in its own process."""
