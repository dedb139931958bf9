"""The qualification issue's acceptance check on real leads (tests/data/x-education): a draft
suggested from a stratified 70 % ranks the other 30 %, imported without their outcome, well."""

import pytest

from leads.models import Lead, Stage
from tests.learning.xeducation import is_falling, measure

pytestmark = pytest.mark.django_db


def test_a_draft_fitted_on_70_percent_ranks_the_held_out_30_percent_by_priority(tmp_path):
    measured = measure(tmp_path, seed=2026)
    assert measured.train_leads == 6468  # only the leads with a known outcome were learned from
    assert measured.held_out == 2772
    assert Lead.objects.filter(stage=Stage.NEW).count() == 2772  # imported without an outcome: open
    assert measured.held_out_auc >= 0.85, measured
    assert is_falling(measured.grade_rates), measured.grade_rates
    assert is_falling(measured.bucket_rates), measured.bucket_rates
    # Every grade and bucket is used: the cut-offs split the leads, not only rank them.
    assert all(rate is not None for rate in (*measured.grade_rates.values(), *measured.bucket_rates.values()))
