"""Contacts with references, their status, and the status callbacks (SMS or voice) sent to DSLs."""
