"""The API gateway: the one HTTP surface client apps talk to."""
