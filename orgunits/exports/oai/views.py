"""The endpoint at `/oai`."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .protocol import CONTENT_TYPE
from .verbs import respond


@csrf_exempt  # harvesters POST without a session; the endpoint writes nothing
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint(request):
    from socialforvaltning.api import refusal_of_reader

    refused = refusal_of_reader(request)
    if refused is not None:
        return refused
    return HttpResponse(respond(request), content_type=CONTENT_TYPE)
