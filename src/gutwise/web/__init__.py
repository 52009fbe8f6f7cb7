"""The FastAPI app: mounts each step's router, the layout and static files."""
