"""People who took part in history are deactivated, never deleted.

Every history row that names a person (lead, definition and review events, hand-offs, touches,
approvals, imports, meetings opened and closed...) links to the account with on_delete=PROTECT,
so the database refuses the deletion; the admin says why first."""

from django.db import models


def history_of(user) -> list[str]:
    """The kinds of history that name `user`: each model holding a PROTECT link to the account
    with at least one row pointing at them."""
    found = []
    for relation in type(user)._meta.related_objects:
        if getattr(relation, "on_delete", None) is not models.PROTECT:
            continue
        rows = relation.related_model._base_manager.filter(**{relation.field.name: user})
        if rows.exists():
            name = str(relation.related_model._meta.verbose_name_plural)
            if name not in found:
                found.append(name)
    return found


def deletion_refusal(user) -> str | None:
    """Why `user` cannot be deleted, or None when nothing names them."""
    kinds = history_of(user)
    if not kinds:
        return None
    return (
        f"{user.get_username()} took part in Accord's history ({', '.join(kinds)}), so the account cannot be"
        " deleted: deactivate it instead (untick “Active” and save); the history keeps their name."
    )
