"""A small browser for tests against a registry served for real: it keeps cookies, fills a
page's form as it stands (CSRF token included), and sends it, as urlencoded or multipart."""

import http.cookiejar
import urllib.parse
import urllib.request
import uuid
from html.parser import HTMLParser


class FormFields(HTMLParser):
    """The fields a browser would send for the page's form with `id`, as they stand."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields, self.select = form_id, False, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or not attrs.get("name") and tag != "option":
            return
        if tag == "input" and attrs.get("type") not in ("submit", "checkbox", "file"):
            self.fields[attrs["name"]] = attrs.get("value", "")
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        if tag == "form":
            self.inside = False


class Browser:
    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url):
        with self.opener.open(url, timeout=30) as response:
            return response.read().decode()

    def submit(self, url, form_id, **changes):
        parser = FormFields(form_id)
        parser.feed(self.get(url))
        fields = {**parser.fields, **changes}
        request = urllib.request.Request(
            url, data=urllib.parse.urlencode(fields).encode(), headers={"Referer": url}
        )
        with self.opener.open(request, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def upload(self, url, form_id, files: dict[str, tuple[str, bytes]], **changes):
        """Send the form with `files` ({field: (file name, content)}) as multipart."""
        parser = FormFields(form_id)
        parser.feed(self.get(url))
        fields = {**parser.fields, **changes}
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content) in files.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            url,
            data=b"".join(parts),
            headers={
                "Referer": url,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        with self.opener.open(request, timeout=60) as response:
            return response.geturl(), response.read().decode()
