"""The cache of an installation without Redis: diskcache's SQLite file under var/."""

from diskcache import DjangoCache


class DiskCache(DjangoCache):
    """diskcache's Django backend, keeping its database connections open between requests.

    Django closes every cache when a request finishes; for diskcache that means a new SQLite
    connection, and its pragmas, at the next request, which cost more than the request's own
    cache work. Connections are per thread, and diskcache opens new ones in a forked process."""

    def close(self, **kwargs) -> None:
        pass
