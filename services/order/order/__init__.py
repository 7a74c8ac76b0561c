"""The order service: checkout, the order state machine, the order timeline."""
