"""integration: dcgm-exporter through a real Prometheus."""
