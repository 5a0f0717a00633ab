from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import Reorganisation


@require_GET
def reorganisation_detail(request, pk):
    reorganisation = get_object_or_404(Reorganisation, pk=pk)
    return render(request, "history/reorganisation_detail.html", {"reorganisation": reorganisation})
