import datetime

from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from socialforvaltning.asof import AsOf
from socialforvaltning.lib.dates import date_from_request
from socialforvaltning.middleware import reads_parameters

from .compare import compare_structures
from .lifelines import lifelines
from .models import Change, Reorganisation
from .preview import branch_on, touched_units

CHANGES = Prefetch(
    "changes",
    queryset=Change.objects.select_related("unit", "target", "previous_parent")
    .prefetch_related(
        "unit__names", "target__names", "previous_parent__names", "citations__document"
    )
    .order_by("id"),
)


# The timeline lists this many changes of each reorganisation; its own page has them all.
CHANGES_ON_TIMELINE = 25


@reads_parameters()
@require_safe
def timeline(request):
    first_changes = Prefetch(
        "changes",
        queryset=CHANGES.queryset[:CHANGES_ON_TIMELINE],
        to_attr="first_changes",
    )
    reorganisations = list(
        Reorganisation.objects.on_record()
        .chronological()
        .select_related("withdrawn_by")
        .prefetch_related(first_changes, "citations__document")
    )
    dated = [r.date for r in reorganisations if r.date]
    today = datetime.date.today()
    start = datetime.date(min(dated).year - 1, 1, 1) if dated else today
    end = datetime.date(max(dated).year + 2, 1, 1) if dated else today
    return render(
        request,
        "history/timeline.html",
        {
            "reorganisations": reorganisations,
            "lifelines": lifelines(start=start, end=end, today=today),
            "changes_shown": CHANGES_ON_TIMELINE,
        },
    )


# A reorganisation's page lists its changes this many at a time (the generator's founding
# one has 100,000: 30 MB and 50 s on one page).
CHANGES_PER_PAGE = 100
# Above this many changes the page draws no branches before and after: they would hold most
# of the structure, which the chart of the date shows.
BRANCHES_UP_TO = 300


@reads_parameters("page")
@require_safe
def reorganisation_detail(request, pk):
    reorganisation = (
        Reorganisation.objects.on_record()
        .prefetch_related("citations__document")
        .select_related("withdrawn_by")
        .filter(pk=pk)
        .first()
    )
    if reorganisation is None:
        raise Http404(_("The registry has no reorganisation number %(pk)s.") % {"pk": pk})
    paginator = Paginator(CHANGES.queryset.filter(reorganisation=reorganisation), CHANGES_PER_PAGE)
    paginator.count = reorganisation.change_count  # stored with the changes: not counted again
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for change in page.object_list:  # its reorganisation is this one: no query for each
        change.reorganisation = reorganisation
    before = after = None
    if reorganisation.date and reorganisation.change_count <= BRANCHES_UP_TO:
        affected = touched_units(reorganisation)
        before = branch_on(reorganisation.day_before, affected)
        after = branch_on(reorganisation.date, affected)
    siblings = list(Reorganisation.objects.on_record().chronological().values_list("pk", "date"))
    index = [s[0] for s in siblings].index(reorganisation.pk)
    return render(
        request,
        "history/reorganisation_detail.html",
        {
            "reorganisation": reorganisation,
            "page": page,
            "branches_up_to": BRANCHES_UP_TO,
            "corrections": reorganisation.record_of_corrections(),
            "before": before,
            "after": after,
            "day_before": reorganisation.day_before,
            "previous_id": siblings[index - 1][0] if index > 0 else None,
            "next_id": siblings[index + 1][0] if index + 1 < len(siblings) else None,
        },
    )


@reads_parameters("from", "to")
@require_safe
def compare(request):
    if not request.GET.get("from") and not request.GET.get("to"):
        return render(request, "history/compare.html", {"result": None})
    if not request.GET.get("from") or not request.GET.get("to"):
        raise BadRequest(_("Give both dates to compare: “from” and “to”, as YYYY-MM-DD."))
    first = date_from_request(request, "from")
    second = date_from_request(request, "to")
    if first > second:
        raise BadRequest(
            _("“from” (%(first)s) lies after “to” (%(second)s): give the earlier date first.")
            % {"first": first.isoformat(), "second": second.isoformat()}
        )
    result = compare_structures(first, second)
    return render(
        request,
        "history/compare.html",
        {
            "result": result,
            "first": first,
            "second": second,
            "as_of": AsOf(second),
        },
    )
