"""创城指挥台: domain logic for a civilised-city campaign office."""

__version__ = "0.1.0"
