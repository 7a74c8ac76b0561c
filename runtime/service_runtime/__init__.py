"""The shared runtime every service is built on. Nothing runs at import."""
