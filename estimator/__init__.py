"""trainspend estimator: pure functions from a model, a training run and hardware to parameters, FLOPs, memory,
time and cost. No I/O: values in, values out."""
