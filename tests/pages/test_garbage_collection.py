"""The cycle collector is off while a page is built (large pages spent a fifth to a third of
their time in it) and on again after every request, whatever its outcome: a process that kept
it off would keep every reference cycle it ever made."""

import gc

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from socialforvaltning.middleware import NoCycleCollectionDuringRequestMiddleware

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url", ["/?date=2010-01-01", "/?date=2010-02-30", "/units/findes-ikke/", "/export/org.jsonld"]
)
def test_the_collector_is_on_after_every_request(client, url):
    assert gc.isenabled()
    client.get(url)
    assert gc.isenabled()


def test_the_collector_is_off_while_a_page_is_rendered(client):
    from django.test.signals import template_rendered

    seen = []

    def rendered(**kwargs):
        seen.append(gc.isenabled())

    template_rendered.connect(rendered)
    try:
        assert client.get("/changes/").status_code == 200
    finally:
        template_rendered.disconnect(rendered)
    assert seen and not any(seen)
    assert gc.isenabled()


def test_the_collector_is_off_in_the_middleware_and_on_after_an_error():
    seen = []

    def failing_view(request):
        seen.append(gc.isenabled())
        raise RuntimeError("the view failed")

    middleware = NoCycleCollectionDuringRequestMiddleware(failing_view)
    with pytest.raises(RuntimeError):
        middleware(RequestFactory().get("/"))
    assert seen == [False]
    assert gc.isenabled()


def test_a_caller_that_turned_the_collector_off_keeps_it_off():
    middleware = NoCycleCollectionDuringRequestMiddleware(lambda request: HttpResponse("ok"))
    gc.disable()
    try:
        middleware(RequestFactory().get("/"))
        assert not gc.isenabled()
    finally:
        gc.enable()
