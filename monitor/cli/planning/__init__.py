"""The planning commands (estimate, plan, prices, serve-plan, models/gpus): the estimator as a CLI, no daemon needed."""
