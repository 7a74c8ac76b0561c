"""Test helpers: real brokers, real databases, real processes."""
