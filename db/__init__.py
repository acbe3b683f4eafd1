"""Database: SQLModel tables, engine and sessions, and query functions."""
