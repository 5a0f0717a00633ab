"""The API's tasks (`/api/v1/tasks`): who owned a task on a date, and a task's history."""

from django.core.exceptions import BadRequest
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import Query, Router, Schema

from orgunits.api import DatingOut
from socialforvaltning.api import (
    DATE,
    PAGE,
    RECORDED,
    SIZE,
    AsOfOut,
    PageOut,
    as_of_out,
    page_links,
    read,
)
from socialforvaltning.asof import AsOf

from .forms import LookupForm
from .lookup import Lookup, answers_on, holder_as_json
from .models import Category, Task
from .search import ranking

router = Router(tags=["Tasks"])


class PassageOut(Schema):
    document: str
    file: str
    heading: str
    excerpt: str
    role: str


class HolderOut(Schema):
    unit: str
    unit_slug: str
    unit_path: list[str]
    unit_name_inferred: bool
    role: str
    post: str | None
    post_inferred: bool | None
    valid_from: str | None
    valid_to: str | None
    last_day: str | None
    start: DatingOut
    end: DatingOut | None
    uncertain: bool
    inferred: bool
    note: str
    source: list[PassageOut]


class TaskOnDateOut(Schema):
    slug: str
    name: str
    category: str
    url: str
    api_url: str
    holders: list[HolderOut]


class TaskPage(PageOut):
    as_of: AsOfOut
    results: list[TaskOnDateOut]


TASK_FIELDS = ("task", "task_slug", "category")
WORDS = Query(None, max_length=200, description="Words of the task's name or synonyms.")
CATEGORY = Query(None, description="Only the tasks of this category.")


def _task_urls(request, slug: str) -> dict:
    return {
        "url": request.build_absolute_uri(reverse("responsibilities:detail", args=[slug])),
        "api_url": request.build_absolute_uri(reverse("api:task", args=[slug])),
    }


@read(
    router,
    "/tasks",
    TaskPage,
    name="tasks",
    summary="Who holds tasks on a date",
    hints={
        "recorded": _lazy(
            "The task lookup shows what the registry says now, as its page does; a task's "
            "holders as recorded at a moment are at /api/v1/tasks/<slug>?recorded=."
        )
    },
)
def tasks(
    request,
    q: str = WORDS,
    category: Category = CATEGORY,
    date: str = DATE,
    page: int = PAGE,
    page_size: int = SIZE,
):
    """The tasks found by `q` (a word also matches through its Danish stem; exact matches
    first) or in a `category`, or every task when neither is given, those held on the date
    first; each with its owner and partners on the date, where they sat, since when (with its
    certainty), whether the registry inferred it, and the passages that say so. What the
    registry says now, as the lookup page shows it: a task's history as recorded at a moment
    is `/tasks/{slug}?recorded=`."""
    when = AsOf.from_request(request)
    lookup = _lookup(q, category, when.date, offset=(page - 1) * page_size, limit=page_size)
    links = page_links(request, page, page_size, lookup.matched)
    answers = {a.task.pk: a for a in lookup.answers}
    results = [
        _task_on_date_out(request, task, answers.get(task.pk))
        for task in [a.task for a in lookup.answers] + list(lookup.unheld)
    ]
    return {**links, "as_of": as_of_out(when), "results": results}


def _lookup(q: str | None, category: str | None, date, *, offset: int, limit: int) -> Lookup:
    """The tasks the lookup page finds for `q` and `category` (every task when neither is
    given), with who held them on `date`: a page of them, those held first."""
    form = LookupForm({"q": q or "", "category": category or ""})
    if not form.is_valid():
        raise BadRequest(form.error_message())
    query, found = form.query, form.tasks()
    if found is None:
        found = Task.objects.all()  # nothing asked: every task
    ranks = ranking(query) if query else ()
    return answers_on(found, date, ranks=ranks, limit=limit, offset=offset)


def _task_on_date_out(request, task, answer) -> dict:
    holders = [holder_as_json(answer, h) for h in answer.holders] if answer else []
    return {
        "slug": task.slug,
        "name": task.name,
        "category": task.category,
        **_task_urls(request, task.slug),
        "holders": [{k: v for k, v in h.items() if k not in TASK_FIELDS} for h in holders],
    }


class ResponsibilityOut(Schema):
    unit: str
    unit_name: str
    role: str
    post: str | None
    start: DatingOut
    end: DatingOut | None
    held_on_date: bool
    inferred: bool
    note: str
    began_with: int | None
    ended_with: int | None


class TaskOut(Schema):
    slug: str
    name: str
    category: str
    category_label: str
    description: str
    synonyms: list[str]
    url: str
    api_url: str
    as_of: AsOfOut
    responsibilities: list[ResponsibilityOut]


@read(router, "/tasks/{slug}", TaskOut, name="task", summary="One task's history")
def task(request, slug: str, date: str = DATE, recorded: str = RECORDED):
    """Who held the task over time, in which role and post, and which reorganisation began
    and ended each holding (`held_on_date` marks those of the date); with `recorded`, as the
    registry recorded it then."""
    when = AsOf.from_request(request)
    found = Task.objects.filter(slug=slug[:100]).first()
    if found is None:
        raise Http404(_("The registry has no task “%(slug)s”.") % {"slug": slug[:100]})
    if when.recorded is not None and not found.was_recorded_by(when.recorded):
        raise Http404(
            _("The registry had not recorded the task “%(slug)s” by then.") % {"slug": found.slug}
        )
    held = found.holdings(recorded=when.recorded)
    return {
        "slug": found.slug,
        "name": found.name,
        "category": found.category,
        "category_label": str(Category(found.category).label),
        "description": found.description,
        "synonyms": [s for s in found.synonyms.splitlines() if s.strip()],
        **_task_urls(request, found.slug),
        "as_of": as_of_out(when),
        "responsibilities": [_responsibility_out(r, when.date) for r in held],
    }


def _responsibility_out(r, date) -> dict:
    return {
        "unit": r.unit.slug,
        "unit_name": r.unit.name_at(r.valid_from),
        "role": r.role,
        "post": r.post.title if r.post else None,
        "start": r.start_dating.as_json(),
        "end": r.end_dating.as_json() if r.end_dating else None,
        "held_on_date": r.is_valid_on(date),
        "inferred": r.inferred,
        "note": r.note,
        "began_with": r.opened_by.reorganisation_id if r.opened_by else None,
        "ended_with": r.closed_by.reorganisation_id if r.closed_by else None,
    }
