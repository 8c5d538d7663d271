"""Signals the contributions app sends."""

from django.dispatch import Signal

# Sent after commit when a new submission reaches the queue. Arguments: submission
submission_received = Signal()
