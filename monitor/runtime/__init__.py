"""The runtime layer: the composition root that builds the daemon from settings, and the scheduler that runs it."""
