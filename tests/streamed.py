"""Reading what a response says, whether it was streamed (the CSV and JSON-LD exports are
written as they are read) or not."""

import json


def body(response) -> bytes:
    """The whole body: a streamed response is read to its end."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def text(response) -> str:
    return body(response).decode(response.charset or "utf-8")


def json_of(response):
    return json.loads(body(response))
