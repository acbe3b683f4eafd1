"""The live call, in one package: its webhooks (views, identify, status_check), the TwiML builders, the
fail-safe and the per-step context (steps). `bp` carries every route of the four view modules."""
from ivr.voice import identify, reference, status_check, views
from ivr.voice.blueprint import bp

__all__ = ["bp", "identify", "reference", "status_check", "views"]
