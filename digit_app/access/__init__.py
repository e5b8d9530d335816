"""Who may do what: the operator gate (train, switch or delete models, handle corrections) and rate limits."""
