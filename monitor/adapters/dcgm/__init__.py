"""GPU utilization per pod from NVIDIA dcgm-exporter: through a Prometheus that scrapes it (`prometheus.py`) or by
scraping its `/metrics` endpoints directly (`scrape.py`), behind `monitor.core.ports.GpuUtilizationSource`."""
