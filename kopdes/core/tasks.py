"""Core tasks. `queue_probe` lets operators (and the test suite) see that a worker is consuming."""

from django_tasks import task


@task()
def queue_probe(token: str) -> str:
    """Return the token unchanged: a round trip through the queue and a worker."""
    return token
