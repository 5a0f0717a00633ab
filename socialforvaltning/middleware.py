from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.shortcuts import render


def wants_json(request) -> bool:
    return request.path.endswith((".json", ".jsonld")) or request.GET.get("format") == "json"


class BadRequestMiddleware:
    """Bad input is a 400 that says what was wrong, in the user's language, whether or not
    debug is on: views raise BadRequest (or InvalidDate) with a message a person can act on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, BadRequest):
            return None
        message = str(exception)
        if wants_json(request):
            return JsonResponse({"error": message}, status=400)
        return render(request, "400.html", {"exception": message}, status=400)


class LanguageMiddleware:
    """Danish unless the user chose another language with the switch (a cookie).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language: the
    registry is the administration's Danish record, and English is a choice, not a guess."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
