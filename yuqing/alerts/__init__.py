"""Alerts: a transactional outbox (``outbox``) written with the change it reports, and its
delivery afterwards (``deliver``) on a webhook (``webhook``) and by e-mail (``email``).

The code that decides when an alert is raised (triage, the deadline sweep) calls
:func:`yuqing.alerts.outbox.enqueue` inside its own transaction; ``yuqing alerts deliver`` and
the scheduler call :func:`yuqing.alerts.deliver.deliver_due`.
"""

from __future__ import annotations

import logging

#: every alert log line goes here: one line per failed delivery
log = logging.getLogger("yuqing.alerts")


class DeliveryError(Exception):
    """One attempt to hand an alert to a channel failed; the message says why, in words, and
    never carries a password."""
