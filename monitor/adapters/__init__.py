"""The adapters layer: one subpackage per outside system (Kubernetes, pricing APIs, the SQL store, CloudWatch,
notification channels), each implementing a core port. Adapters never import each other; the runtime wires them."""
