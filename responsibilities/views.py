from itertools import chain

from django.core.exceptions import BadRequest
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count, F
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from socialforvaltning.asof import AsOf
from socialforvaltning.middleware import reads_parameters

from .forms import LookupForm
from .lookup import answers_on, holder_as_json
from .models import Category, Task

# How many matching tasks a page shows (those held on the date first); the JSON has them all.
# A page's cost is in its tasks, not in how many match: 25 read as fast at 100,000 units.
SHOWN = 25
# A search finding more tasks than this orders only the first this many it finds, and says
# so: ordering asks of every task whether it was held, which at 100,000 units is 16,000
# questions for one word in an eighteenth of all tasks. Twenty pages are past reading.
EXAMINED = 500


@reads_parameters("date", "q", "category", "format", "page")
@require_safe
def lookup(request):
    """Who held a task on a date: search by words (`q`) or browse a `category`."""
    date = AsOf.from_request(request, recorded=False).date
    form = LookupForm(request.GET)
    if not form.is_valid():
        raise BadRequest(form.error_message())
    tasks = form.tasks()
    if request.GET.get("format") == "json":
        if tasks is None:
            raise BadRequest(_("Say what to look up: a search (q) or a category."))
        found = answers_on(tasks, date, ranks=form.ranks())
        return JsonResponse(
            [
                holder_as_json(answer, holder)
                for answer in found.answers
                for holder in answer.holders
            ],
            safe=False,
            json_dumps_params={"ensure_ascii": False, "indent": 1},
        )
    context = {"form": form, "date": date}
    if tasks is None:
        context["categories"] = _category_counts()
    else:
        number = form.cleaned_data["page"] or 1
        found = answers_on(
            tasks,
            date,
            ranks=form.ranks(),
            limit=SHOWN,
            offset=(number - 1) * SHOWN,
            examined=EXAMINED,
        )
        context.update(_answers(form, found, number))
        query = request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
    return render(request, "responsibilities/lookup.html", context)


def _answers(form: LookupForm, found, number: int) -> dict:
    """What the page `number` shows of the tasks found: at most SHOWN, where it sits among
    them, and names close to words that found none."""
    query, category = form.query, form.cleaned_data["category"]
    pages = Paginator(range(found.matched), SHOWN)
    try:
        page = pages.page(number)
    except EmptyPage:
        message = ngettext(
            "There is no page %(page)s: the tasks found fill %(pages)s page.",
            "There is no page %(page)s: the tasks found fill %(pages)s pages.",
            pages.num_pages,
        )
        raise Http404(message % {"page": number, "pages": pages.num_pages}) from None
    return {
        "page": page,
        "query": query,
        "category_label": Category(category).label if category and not query else "",
        "answers": found.answers,
        "unheld": found.unheld,
        "matched": found.matched,
        "more": found.more,
        "examined": EXAMINED,
        "suggestions": Task.objects.close_to(query) if query and not found.matched else [],
    }


def _category_counts() -> list[tuple[str, str, int]]:
    counts = dict(Task.objects.values_list("category").annotate(n=Count("id")))
    return [(c.value, c.label, counts[c.value]) for c in Category if counts.get(c.value)]


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
