"""Reading a response as a client does, streamed or not, and the streaming figures of an
export: how soon its first byte comes, and how much memory producing it takes.

A streamed response (`response.streaming`: a StreamingHttpResponse, a FileResponse) is
produced while its chunks are read, so a request is timed until its last chunk, and the chunks
are dropped as they come, as a server sends them on. A response built whole is its content.
"""

import re
import time
import tracemalloc
from pathlib import Path

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def chunks(response):
    """The body's chunks. The test client closes the response itself (after a streamed one's
    last chunk), as a WSGI server does; closing it again would close the database connection
    too (Django's request_finished), and the next request would pay for a new one."""
    if response.streaming:
        yield from response.streaming_content
    else:
        yield response.content


def consume(response) -> int:
    """Read the whole body, keeping none of it; its length in bytes."""
    return sum(len(chunk) for chunk in chunks(response))


def body_of(response) -> bytes:
    return b"".join(chunks(response))


def _status_kib(field: str) -> int | None:
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) if found else None


def _reset_peak_rss() -> bool:
    """Linux: start the process's peak resident set (VmHWM) afresh from the current one."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def first_byte(request) -> dict:
    """One request: the seconds until the first non-empty chunk (the whole response where it
    is built whole), the whole request, and how far the resident set grew meanwhile (MB;
    None where the peak cannot be reset). Python keeps memory it freed for reuse, so after
    large requests the growth reads low: the traced peak below is the measure."""
    from django.core.cache import cache

    cache.clear()
    reset = _reset_peak_rss()
    before = _status_kib("VmRSS")
    started = time.perf_counter()
    response = request()
    first, size = None, 0
    for chunk in chunks(response):
        if chunk and first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    whole = time.perf_counter() - started
    peak = _status_kib("VmHWM") if reset else None
    return {
        "streaming": bool(response.streaming),
        "first_byte_ms": round((first if first is not None else whole) * 1000, 1),
        "whole_ms": round(whole * 1000, 1),
        "bytes": size,
        "rss_growth_mb": round((peak - before) / 1024, 1) if peak and before else None,
    }


def traced_peak(request) -> float:
    """One request under tracemalloc (which slows it, so apart from the first byte's): the
    peak of Python's allocations while the response is produced and read (MB). Memory the
    database driver's C library holds is not in it."""
    from django.core.cache import cache

    cache.clear()
    tracemalloc.start()
    try:
        consume(request())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 2)
