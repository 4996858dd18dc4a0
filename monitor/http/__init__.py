"""The HTTP layer: the server, the JSON API, the web page and the Prometheus exposition of the latest tick."""
