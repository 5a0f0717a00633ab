from itertools import chain

from django.core.exceptions import BadRequest
from django.db.models import Count, F
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from socialforvaltning.asof import AsOf
from socialforvaltning.middleware import reads_parameters

from .forms import LookupForm
from .lookup import Answer, answers_on
from .models import Category, Task
from .search import close_names, ranking

# How many matching tasks a page shows (those held on the date first); the JSON has them all.
SHOWN = 100


@reads_parameters("date", "q", "category", "format")
@require_safe
def lookup(request):
    """Who held a task on a date: search by words (`q`) or browse a `category`."""
    date = AsOf.from_request(request, recorded=False).date
    form = LookupForm(request.GET)
    if not form.is_valid():
        raise BadRequest(form.error_message())
    query = form.cleaned_data["q"].strip()
    category = form.cleaned_data["category"]
    tasks = None
    if query:
        tasks = Task.objects.search(query)
    elif category:
        tasks = Task.objects.filter(category=category)
    as_json = request.GET.get("format") == "json"
    if tasks is None:
        if as_json:
            raise BadRequest(_("Say what to look up: a search (q) or a category."))
        return render(
            request,
            "responsibilities/lookup.html",
            {"form": form, "date": date, "categories": _category_counts()},
        )
    ranks = ranking(query) if query else ()
    if as_json:
        found = answers_on(tasks, date, ranks=ranks)
        return JsonResponse(
            [_as_json(answer, holder) for answer in found.answers for holder in answer.holders],
            safe=False,
            json_dumps_params={"ensure_ascii": False, "indent": 1},
        )
    found = answers_on(tasks, date, ranks=ranks, limit=SHOWN)
    suggestions = []
    if query and not found.matched:
        entries = Task.objects.values_list("name", "synonyms")
        suggestions = close_names(query, ((n, s.splitlines()) for n, s in entries))
    return render(
        request,
        "responsibilities/lookup.html",
        {
            "form": form,
            "date": date,
            "query": query,
            "category_label": Category(category).label if category and not query else "",
            "answers": found.answers,
            "unheld": found.unheld,
            "matched": found.matched,
            "shown": len(found.answers) + len(found.unheld),
            "suggestions": suggestions,
        },
    )


def _category_counts() -> list[tuple[str, str, int]]:
    counts = dict(Task.objects.values_list("category").annotate(n=Count("id")))
    return [(c.value, c.label, counts[c.value]) for c in Category if counts.get(c.value)]


def _as_json(answer: Answer, holder) -> dict:
    r = holder.responsibility
    return {
        "task": answer.task.name,
        "task_slug": answer.task.slug,
        "category": answer.task.category,
        "unit": holder.unit_name,
        "unit_slug": r.unit.slug,
        "unit_path": holder.unit_path,
        "unit_name_inferred": holder.unit_name_inferred,
        "role": r.role,
        "post": r.post.title if r.post else None,
        "post_inferred": r.post.inferred if r.post else None,
        "valid_from": r.valid_from.isoformat() if r.valid_from else None,
        "valid_to": r.valid_to.isoformat() if r.valid_to else None,
        "certainty": r.certainty,
        "not_before": r.not_before.isoformat() if r.not_before else None,
        "not_after": r.not_after.isoformat() if r.not_after else None,
        "since": r.since_display,
        "until": r.until_display or None,
        "last_day": r.last_day.isoformat() if r.last_day else None,
        "start": r.start_dating.as_json(),
        "end": r.end_dating.as_json() if r.end_dating else None,
        "uncertain": holder.uncertain,
        "inferred": r.inferred,
        "note": r.note,
        "source": [
            {
                "document": c.document.title,
                "file": c.document.filename,
                "heading": c.heading,
                "excerpt": c.excerpt,
                "role": c.role,
            }
            for c in holder.sources
        ],
    }


@reads_parameters()
@require_safe
def task_detail(request, slug):
    """One task and who held it over time: each responsibility in date order, with the
    reorganisation that began and ended it and its sources."""
    task = Task.objects.filter(slug=slug).first()
    if task is None:
        raise Http404(_("The registry has no task “%(slug)s”.") % {"slug": slug[:100]})
    held = list(
        task.responsibilities.with_datings()
        .select_related("unit", "post")
        .prefetch_related("unit__names", "citations__document")
        .order_by(F("valid_from").asc(nulls_first=True), "role", "unit__slug")
    )
    rows = [(r, r.unit.name_at(r.valid_from)) for r in held]
    # A passage cited for the task and for several of its holders is shown once.
    cited = chain(task.citations.select_related("document"), *(r.citations.all() for r in held))
    citations = {(c.document_id, c.heading, c.excerpt, c.role, c.note): c for c in cited}
    return render(
        request,
        "responsibilities/task_detail.html",
        {"task": task, "rows": rows, "citations": list(citations.values())},
    )
