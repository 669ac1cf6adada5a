"""The operator console: static files under C{static/}, served by the daemon at /console/."""
