"""The core layer: the model, the ports (Protocols adapters implement), the pure domain and the tick. Imports nothing
above it and no vendor client."""
