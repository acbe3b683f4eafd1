"""Contacts: the reference a MASH call opens, and the status machine staff (or the CLI) move it through."""
