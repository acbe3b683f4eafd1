"""The message inbox: every recorded message in its service's inbox, and the states staff move it through."""
