from django.dispatch import Signal

# Sent with definition=... when a version is proposed (the leads app notifies both leaders).
definition_proposed = Signal()
# Sent with definition=..., by=... when a version becomes active, after the previous one retired
# (the leads app re-evaluates every lead against it).
definition_activated = Signal()
