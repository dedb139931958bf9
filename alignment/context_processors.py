from alignment.roles import Role, roles_of


def roles(request):
    """Expose the viewer's roles to templates, e.g. {% if role.sales_rep %}."""
    held = roles_of(request.user)
    return {"role": {role.value: role in held for role in Role}}
