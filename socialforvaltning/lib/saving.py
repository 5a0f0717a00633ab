"""Saving a record with who and why: the one way the registry's own code (the seed loader,
the EAC-CPF import, the stress test) saves a record outside the reorganisation writer, which
stamps its rows itself, and the admin, which takes them from the form and the request."""


def save_with_history(obj, *, user, reason: str, clean: bool = True):
    """Save `obj` (validated first, unless `clean=False` because the caller just did), its
    history row naming `user` and `reason` (django-simple-history reads both)."""
    if clean:
        obj.full_clean()
    obj._history_user, obj._change_reason = user, reason
    obj.save()
    return obj
