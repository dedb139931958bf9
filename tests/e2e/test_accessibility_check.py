"""The accessibility check itself finds what it should: a page with an unlabeled control fails it."""

import pytest


def test_the_check_fails_on_a_serious_violation(page_for, assert_accessible, django_user_model):
    django_user_model.objects.create_user("axe-probe", password="probe-password-1")
    page = page_for("axe-probe", "probe-password-1")
    page.evaluate(
        "() => { const box = document.createElement('input'); box.type = 'text';"
        " document.querySelector('main').append(box); }"
    )
    with pytest.raises(AssertionError, match="label"):
        assert_accessible(page)
