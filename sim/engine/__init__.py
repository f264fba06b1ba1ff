"""The SimPy world: it receives a validated `Scenario` and returns `Records`; it reads no files."""
