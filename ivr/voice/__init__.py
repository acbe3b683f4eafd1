"""The live call, in one package: its webhooks (views, identify, status_check), the TwiML builders, the
fail-safe and the per-step context (steps). `bp` carries every route of the three view modules."""
from ivr.voice import identify, status_check, views
from ivr.voice.blueprint import bp

__all__ = ["bp", "identify", "status_check", "views"]
