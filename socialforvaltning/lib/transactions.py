"""Dry runs: work done in a transaction that is always rolled back."""

from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back():
    """A transaction (a savepoint inside another) whose writes are always undone at its end;
    an error inside it undoes them too and is raised as usual."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
