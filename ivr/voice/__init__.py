"""The live call, in one package: its webhooks (views, identify, status_check, reference, callback_request), the
TwiML builders, the fail-safe and the per-step context (steps). `bp` carries every route of the view modules."""
from ivr.voice import callback_request, identify, reference, status_check, views
from ivr.voice.blueprint import bp

__all__ = ["bp", "callback_request", "identify", "reference", "status_check", "views"]
