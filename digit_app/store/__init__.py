"""The store: what the app keeps on disk (model versions, corrections), written whole or not at all."""
