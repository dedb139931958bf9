from leads import selectors


def notifications(request):
    """The unread count shown in the workspace header (one query per page)."""
    if not request.user.is_authenticated:
        return {}
    return {"unread_notifications": selectors.unread_notification_count(user=request.user)}
