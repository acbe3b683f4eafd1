"""Menu and routing decisions as pure functions (no Flask, no database)."""
