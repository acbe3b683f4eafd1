"""The DSL register: each school's Designated Safeguarding Leads, their numbers and DSL training."""
