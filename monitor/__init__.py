"""trainspend daemon: watches training workloads on Kubernetes, prices their nodes, accrues and projects spend."""
