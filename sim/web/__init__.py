"""The exercise room in the browser: a thin FastAPI front end over `facilitation.live`."""
