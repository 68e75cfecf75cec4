"""Cases: the lifecycle, the case rebuilt from its events, and the Hall facade."""
