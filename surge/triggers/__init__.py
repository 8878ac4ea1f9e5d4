"""What starts incidents besides people: Alertmanager alerts and Prometheus metric conditions,
with grouping, dedupe, cooldown, hysteresis and silences."""
