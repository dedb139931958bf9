"""Integer `in` lookups that drop values the column cannot hold.

Django already answers `pk=<huge>` with no rows; `pk__in=[<huge>]` reaches the database driver,
and SQLite's raises OverflowError (a 500). The admin's actions and every multiple-choice field
filter with `__in`, so the range check lives here once."""

from django.core.exceptions import EmptyResultSet
from django.db.models.lookups import In


class BoundedIn(In):
    lookup_name = "in"

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            kept = [
                value
                for value in self.rhs
                if not isinstance(value, int) or ((low is None or value >= low) and (high is None or value <= high))
            ]
            if not kept:
                raise EmptyResultSet
            self.rhs = kept
        return super().process_rhs(compiler, connection)
