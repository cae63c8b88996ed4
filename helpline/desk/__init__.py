"""Service-desk rules: business hours now; categories, routing, SLA as they arrive."""
