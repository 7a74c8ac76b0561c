"""The logistics service: shipments, carriers, delivery methods, tracking, delivery confirmation."""
