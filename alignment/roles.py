"""The five roles of Accord. Each is a Django group (made by a data migration); what each may
do in the admin is the model permissions granted here after every migrate."""

from django.db.models import Exists, OuterRef, TextChoices


class Role(TextChoices):
    MARKETING_LEADER = "marketing_leader", "Marketing leader"
    MARKETER = "marketer", "Marketer"
    SALES_LEADER = "sales_leader", "Sales leader"
    SALES_MANAGER = "sales_manager", "Sales manager"
    SALES_REP = "sales_rep", "Sales rep"


# Group names are the role labels, so the admin reads naturally.
GROUP_NAMES = {role: role.label for role in Role}
LEADERS = frozenset({Role.MARKETING_LEADER, Role.SALES_LEADER})
MARKETING = frozenset({Role.MARKETING_LEADER, Role.MARKETER})
# Roles that work in the admin as well as the workspace.
STAFF_ROLES = frozenset({Role.MARKETING_LEADER, Role.MARKETER, Role.SALES_LEADER, Role.SALES_MANAGER})

_VIEW = ("view",)
_CHANGE = ("view", "change")
_EDIT = ("view", "add", "change")
# Qualified-lead definitions: marketing and the leaders draft them (rules are inline rows).
_DEFINITIONS = {
    "alignment.qualificationdefinition": _EDIT,
    "alignment.fieldrule": (*_EDIT, "delete"),
    # The lead properties the rules test: marketing ops declares them, the leaders too.
    "alignment.leadproperty": _EDIT,
    "alignment.engagementrule": (*_EDIT, "delete"),
    # Routing rules: kept by marketing ops, signed with the version.
    "alignment.routingrule": (*_EDIT, "delete"),
    "alignment.definitionapproval": _VIEW,
}
# The weekly lead reviews change only through the workspace; the admin shows them.
_REVIEWS = {
    "reviews.reviewmeeting": _VIEW,
    "reviews.reviewitem": _VIEW,
    "reviews.reviewevent": _VIEW,
}
# The sweeps' schedules (django-celery-beat) run for the whole organisation: only the leaders
# (and superusers) see and tune them; a team's manager does not.
_SCHEDULES = {
    "django_celery_beat.periodictask": _CHANGE,
    "django_celery_beat.intervalschedule": _EDIT,
    "django_celery_beat.crontabschedule": _EDIT,
    "django_celery_beat.clockedschedule": _EDIT,
    "django_celery_beat.solarschedule": _EDIT,
}
# Locked-out logins (django-axes): the leaders see them and unlock one by deleting its attempt.
_LOCKOUTS = {
    "axes.accessattempt": ("view", "delete"),
    "axes.accessfailurelog": _VIEW,
}
# Imports, their column mappings and the likely duplicates they find belong to marketing.
_IMPORTS = {
    "leads.leadimport": ("view", "add"),
    "leads.importmapping": _CHANGE,
    "leads.duplicatecandidate": _CHANGE,
}
# Integrations (API clients and their keys, web-to-lead forms) belong to marketing ops; each API
# call is in its integration's log.
_INTEGRATIONS = {
    "api.integration": _EDIT,
    "api.apirequest": _VIEW,
    "webforms.webform": _EDIT,
}
# Webhook subscriptions belong to marketing ops: they add and change them (pausing instead of
# deleting, which keeps the delivery log), and "send again" a delivery (its change permission).
_WEBHOOKS = {
    "webhooks.subscription": _EDIT,
    "webhooks.delivery": _CHANGE,
    "webhooks.deliveryattempt": _VIEW,
}
ROLE_PERMISSIONS: dict[Role, dict[str, tuple[str, ...]]] = {
    Role.MARKETING_LEADER: {
        "leads.lead": _EDIT,
        "leads.source": _EDIT,
        "leads.campaign": _EDIT,
        "leads.handoff": _VIEW,
        "leads.touch": _VIEW,
        "leads.leadevent": _VIEW,
        **_IMPORTS,
        **_INTEGRATIONS,
        **_REVIEWS,
        **_DEFINITIONS,
        **_SCHEDULES,
        **_LOCKOUTS,
        "alignment.team": _VIEW,
        "alignment.membership": _VIEW,
        "alignment.rejectionreason": _VIEW,
        "outbox.outboxmessage": _VIEW,
        **_WEBHOOKS,
    },
    Role.MARKETER: {
        "leads.lead": _EDIT,
        "leads.source": _EDIT,
        "leads.campaign": _EDIT,
        "leads.handoff": _VIEW,
        "leads.touch": _VIEW,
        "leads.leadevent": _VIEW,
        **_IMPORTS,
        **_INTEGRATIONS,
        **_DEFINITIONS,
        **_WEBHOOKS,
        "alignment.rejectionreason": _VIEW,
    },
    Role.SALES_LEADER: {
        "leads.lead": _VIEW,
        "leads.source": _VIEW,
        "leads.campaign": _VIEW,
        "leads.handoff": _VIEW,
        "leads.touch": _VIEW,
        "leads.leadevent": _VIEW,
        "leads.reminder": _VIEW,
        **_SCHEDULES,
        **_LOCKOUTS,
        **_REVIEWS,
        **_DEFINITIONS,
        "alignment.team": _EDIT,
        "alignment.membership": _EDIT,
        "alignment.rejectionreason": _VIEW,
        "outbox.outboxmessage": _VIEW,
    },
    Role.SALES_MANAGER: {
        "leads.lead": _VIEW,
        "leads.handoff": _VIEW,
        "leads.touch": _VIEW,
        "leads.leadevent": _VIEW,
        "leads.reminder": _VIEW,
        **_REVIEWS,
        "alignment.qualificationdefinition": _VIEW,
        "alignment.team": _VIEW,
        "alignment.membership": _VIEW,
    },
    Role.SALES_REP: {},
}


def with_roles(users):
    """``users`` (a queryset) with each person's roles read in the same query, as ``holds_<role>``
    flags that :func:`roles_of` reads."""
    memberships = users.model.groups.through.objects.filter(user_id=OuterRef("pk"))
    return users.annotate(
        **{f"holds_{role.value}": Exists(memberships.filter(group__name=label)) for role, label in GROUP_NAMES.items()}
    )


def roles_of(user) -> frozenset[Role]:
    """The roles a person holds: from :func:`with_roles`' flags when the user was read with them
    (the signed-in user of every request is: alignment.backends), else in one query; kept on the
    user object."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_accord_roles", None)
    if cached is None:
        if hasattr(user, f"holds_{Role.SALES_REP.value}"):
            cached = frozenset(role for role in Role if getattr(user, f"holds_{role.value}"))
        else:
            by_name = {label: role for role, label in GROUP_NAMES.items()}
            names = user.groups.values_list("name", flat=True)
            cached = frozenset(by_name[name] for name in names if name in by_name)
        user._accord_roles = cached
    return cached


def has_role(user, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def is_leader(user) -> bool:
    return bool(roles_of(user) & LEADERS)


def is_marketing(user) -> bool:
    return bool(roles_of(user) & MARKETING)


def sync_role_permissions(sender=None, **kwargs) -> None:
    """Grant each role's group exactly the permissions listed above. Runs after every app's
    migrate signal, since each app's permissions exist only once its own signal has run."""
    from django.contrib.auth.models import Group, Permission

    app_labels = {label.split(".")[0] for grants in ROLE_PERMISSIONS.values() for label in grants}
    by_key = {
        (perm.content_type.app_label, perm.codename): perm
        for perm in Permission.objects.filter(content_type__app_label__in=app_labels).select_related("content_type")
    }
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        wanted = [
            by_key[(label.split(".")[0], f"{action}_{label.split('.')[1]}")]
            for label, actions in grants.items()
            for action in actions
            if (label.split(".")[0], f"{action}_{label.split('.')[1]}") in by_key
        ]
        group.permissions.set(wanted)
