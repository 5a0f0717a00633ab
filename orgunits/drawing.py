"""The organigram of a date drawn on the server, for reports and intranet pages: one layout,
written as SVG or as a one-page A4 landscape PDF.

It draws what the chart page draws (`Structure.chart`, folded to the same budget): the top
unit, the units below it side by side, and each of those with its branch as an indented
column, which keeps a wide level readable on a landscape page. Text is measured with the
PDF's own font metrics (Helvetica), so boxes fit their names in both forms.
"""

import io
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from socialforvaltning.lib.text import NOT_IN_XML

from .structure import ChartNode

SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
FONT, BOLD = "Helvetica", "Helvetica-Bold"
TITLE_SIZE, NAME_SIZE, SMALL_SIZE = 11, 8, 6
LEADING = 1.25  # line height ÷ font size
PAD = 4
BOX_WIDTH = 132  # names wrap within it
INDENT = 12  # each level below a column's top
GAP_X, GAP_Y, LEVEL_GAP = 10, 5, 18
MARGIN = 20
PAGE = landscape(A4)
ROW_AT_MOST = 6  # columns side by side; more wrap into further rows, for a landscape page
COLUMN_BUDGET = 12  # a branch of more units is drawn as a row of columns, not one column
MAX_SCALE = 1.6  # a small chart is enlarged this much at most on the page


@dataclass
class Line:
    text: str
    size: float = SMALL_SIZE
    bold: bool = False
    grey: bool = False

    def __post_init__(self):
        self.text = NOT_IN_XML.sub("", self.text)


@dataclass
class Box:
    x: float
    y: float
    width: float
    height: float
    lines: list[Line]
    href: str
    dashed: bool = False  # a placement whose date is uncertain
    thick: bool = False  # changed on the date, or found by the search

    @property
    def text_x(self) -> float:
        return self.x + PAD

    def placed_lines(self):
        """Each line with its baseline."""
        baseline = self.y + PAD
        for line in self.lines:
            baseline += line.size
            yield line, baseline
            baseline += line.size * (LEADING - 1)


@dataclass
class Drawing:
    title: str
    footer: list[str]
    boxes: list[Box] = field(default_factory=list)
    links: list[tuple[float, float, float, float]] = field(default_factory=list)
    width: float = 0
    footer_top: float = 0

    @property
    def height(self) -> float:
        return self.footer_top + (len(self.footer) + 0.5) * SMALL_SIZE * LEADING

    def footer_lines(self):
        for i, note in enumerate(self.footer, start=1):
            yield Line(note, grey=True), self.footer_top + i * SMALL_SIZE * LEADING

    def svg(self, *, inline: bool = False) -> str:
        """The drawing as an SVG document, or (`inline`) as an element of a page, scaled to
        its box. Presentation attributes, not a style sheet: the page's CSP allows no inline
        styles. Written here rather than by a template, which took longer than the page."""
        # The view reaches a unit beyond the drawing on each side, so that edges drawn on
        # its border are whole.
        size = (
            'class="chart-drawing" preserveAspectRatio="xMidYMin meet"'
            if inline
            else f'width="{self.width + 2:.0f}" height="{self.height + 2:.0f}"'
        )
        title, ls = escape(self.title), self.links
        out = [
            f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" {size} '
            f'viewBox="-1 -1 {self.width + 2:.1f} {self.height + 2:.1f}" role="img" '
            f'aria-label="{title}" font-family="Helvetica, Arial, sans-serif">',
            f"<title>{title}</title>",
            svg_text(Line(self.title, TITLE_SIZE, bold=True), 0, TITLE_SIZE),
            '<g stroke="#000000" stroke-width="0.6">',
            *(f'<line x1="{a:.1f}" y1="{b:.1f}" x2="{c:.1f}" y2="{d:.1f}"/>' for a, b, c, d in ls),
            "</g>",
        ]
        for box in self.boxes:
            href = escape(box.href)
            dash = ' stroke-dasharray="2 2"' if box.dashed else ""
            out += [
                f'<a href="{href}" xlink:href="{href}">',
                f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" '
                f'height="{box.height:.1f}" fill="#ffffff" stroke="#000000" '
                f'stroke-width="{1.6 if box.thick else 0.6}"{dash}/>',
                *(svg_text(line, box.text_x, base) for line, base in box.placed_lines()),
                "</a>",
            ]
        out += [svg_text(line, 0, base) for line, base in self.footer_lines()]
        out.append("</svg>")
        body = "\n".join(out)
        return body if inline else f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'

    def pdf(self) -> bytes:
        """One A4 landscape page, the drawing scaled to fit it, each box a link."""
        buffer = io.BytesIO()
        page = canvas.Canvas(buffer, pagesize=PAGE, pageCompression=1)
        page.setTitle(self.title)
        page.setAuthor(_("Socialforvaltningen's organisational registry"))
        width, height = PAGE
        scale = min(
            MAX_SCALE, (width - 2 * MARGIN) / self.width, (height - 2 * MARGIN) / self.height
        )
        page.translate(MARGIN, height - MARGIN)
        page.scale(scale, -scale)  # the layout's y runs down the page
        text(page, 0, TITLE_SIZE, Line(self.title, TITLE_SIZE, bold=True))
        page.setLineWidth(0.6)
        for x1, y1, x2, y2 in self.links:
            page.line(x1, y1, x2, y2)
        for box in self.boxes:
            page.setLineWidth(1.6 if box.thick else 0.6)
            page.setDash(2, 2) if box.dashed else page.setDash()
            page.rect(box.x, box.y, box.width, box.height)
            for line, baseline in box.placed_lines():
                text(page, box.x + PAD, baseline, line)
            if box.href:
                x1, y1 = page.absolutePosition(box.x, box.y)
                x2, y2 = page.absolutePosition(box.x + box.width, box.y + box.height)
                page.linkURL(box.href, (x1, y2, x2, y1), relative=0)
        for note, baseline in self.footer_lines():
            text(page, 0, baseline, note)
        page.showPage()
        page.save()
        return buffer.getvalue()


def svg_text(line: Line, x: float, baseline: float) -> str:
    bold = ' font-weight="bold"' if line.bold else ""
    colour = "#595959" if line.grey else "#000000"
    return (
        f'<text x="{x:.1f}" y="{baseline:.1f}" font-size="{line.size}"{bold} fill="{colour}">'
        f"{escape(line.text)}</text>"
    )


def text(page, x: float, baseline: float, line: Line):
    """Draw `line` upright at `baseline` on a page whose y runs down."""
    page.saveState()
    page.translate(x, baseline)
    page.scale(1, -1)
    page.setFillGray(0.35 if line.grey else 0)
    page.setFont(BOLD if line.bold else FONT, line.size)
    page.drawString(0, 0, line.text)
    page.restoreState()


def wrapped(text: str, size: float, width: float, font: str = FONT) -> list[str]:
    """`text` in lines no wider than `width` at `size` (a word longer than that stands alone)."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and stringWidth(candidate, font, size) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def box_lines(item: ChartNode) -> list[Line]:
    inner = BOX_WIDTH - 2 * PAD
    lines = [Line(t, grey=True) for t in wrapped(item_kind(item), SMALL_SIZE, inner)]
    lines += [Line(t, NAME_SIZE, bold=True) for t in wrapped(item.name, NAME_SIZE, inner, BOLD)]
    if item.short_name and item.short_name != item.name:
        lines.append(Line(item.short_name))
    for post in item.posts:
        lines += [Line(t) for t in wrapped(f"· {post.short_name or post.name}", SMALL_SIZE, inner)]
    notes = [str(mark.label) for mark in item.marks]
    if item.disputed:
        notes.append(_("the sources disagree"))
    if item.readings:
        notes.append(_("the registry's reading: %(what)s") % {"what": ", ".join(item.readings)})
    if item.uncertain:
        notes.append(item.uncertainty)
    if item.folded:
        notes.append(_("%(n)s units below, not drawn") % {"n": item.folded})
    for note in notes:
        lines += [Line(t, grey=True) for t in wrapped(note, SMALL_SIZE, inner)]
    return lines


def item_kind(item: ChartNode) -> str:
    return " · ".join(filter(None, [item.kind_label, item.target_group_label]))


def size(item: ChartNode) -> int:
    """The units drawn in the item's branch, itself included."""
    return 1 + sum(size(i) for i in item.staff + item.children)


def box_height(lines: list[Line]) -> float:
    return 2 * PAD + sum(line.size * LEADING for line in lines)


class Layout:
    def __init__(self, href):
        self.href = href  # a unit's address on the chart's date
        self.boxes, self.links = [], []

    def box(self, item: ChartNode, x: float, y: float) -> Box:
        lines = box_lines(item)
        box = Box(x, y, BOX_WIDTH, box_height(lines), lines, self.href(item))
        box.dashed, box.thick = item.uncertain, bool(item.marks) or item.found
        self.boxes.append(box)
        return box

    def column(self, item: ChartNode, x: float, y: float) -> tuple[Box, float, float]:
        """The item's box with every unit below it as an indented list: (its box, the
        column's right edge, its bottom)."""
        box = self.box(item, x, y)
        right, bottom = x + box.width, y + box.height
        stem = x + INDENT / 2
        for child in item.staff + item.children:
            child_box, child_right, child_bottom = self.column(child, x + INDENT, bottom + GAP_Y)
            elbow = child_box.y + child_box.height / 2
            self.links.append((stem, child_box.y - GAP_Y, stem, elbow))
            self.links.append((stem, elbow, x + INDENT, elbow))
            right, bottom = max(right, child_right), child_bottom
        return box, right, bottom

    def top(self, item: ChartNode, x: float, y: float) -> tuple[Box, float, float]:
        """A top unit, its staff beside it, and the units below it as columns side by side,
        in rows of at most ROW_AT_MOST (below a single unit, that unit as a top again):
        (its box, right edge, bottom)."""
        above = max(box_height(box_lines(i)) for i in [item, *item.staff])
        row_y = y + above + LEVEL_GAP
        rows, right, bottom = [], x + BOX_WIDTH, row_y
        if len(item.children) == 1:
            child_box, right, bottom = self.top(item.children[0], x, row_y)
            rows = [(row_y, [child_box.x + BOX_WIDTH / 2])]
        elif item.children:
            count = -(-len(item.children) // ROW_AT_MOST)  # rows needed
            per_row = -(-len(item.children) // count)
            left_edge = x + (GAP_X if count > 1 else 0)  # room for the trunk joining the rows
            for start in range(0, len(item.children), per_row):
                centres, left = [], left_edge
                for child in item.children[start : start + per_row]:
                    # A large branch spreads out as a row of its own; a small one is a column.
                    spread = self.top if size(child) > COLUMN_BUDGET else self.column
                    child_box, child_right, child_bottom = spread(child, left, row_y)
                    centres.append(child_box.x + BOX_WIDTH / 2)
                    left, right = child_right + GAP_X, max(right, child_right)
                    bottom = max(bottom, child_bottom)
                rows.append((row_y, centres))
                row_y = bottom + LEVEL_GAP
        everywhere = [c for _row_y, centres in rows for c in centres]
        centre = (min(everywhere) + max(everywhere)) / 2 if rows else x + BOX_WIDTH / 2
        box = self.box(item, centre - BOX_WIDTH / 2, y)
        for i, staff in enumerate(item.staff):
            staff_x = box.x + (i + 1) * (BOX_WIDTH + GAP_X)
            self.box(staff, staff_x, y)
            self.links.append((staff_x - GAP_X, y + PAD * 2, staff_x, y + PAD * 2))
            right = max(right, staff_x + BOX_WIDTH)
        trunk = x + GAP_X / 2
        for i, (top_y, centres) in enumerate(rows):
            bus = top_y - LEVEL_GAP / 2
            ends = [*centres, centre] if i == 0 else centres
            if len(rows) > 1:
                ends.append(trunk)
            self.links.append((min(ends), bus, max(ends), bus))
            self.links += [(c, bus, c, top_y) for c in centres]
        if rows:
            first_bus, last_bus = rows[0][0] - LEVEL_GAP / 2, rows[-1][0] - LEVEL_GAP / 2
            self.links.append((centre, box.y + box.height, centre, first_bus))
            if len(rows) > 1:
                self.links.append((trunk, first_bus, trunk, last_bus))
        return box, max(right, box.x + box.width), bottom


def draw(chart: list[ChartNode], *, title: str, source: str, href) -> Drawing:
    """The layout of `chart` (from `Structure.chart`); `href(item)` gives a box's link."""
    layout = Layout(href)
    x, bottom = 0.0, TITLE_SIZE * 2
    for item in chart:
        _box, right, item_bottom = layout.top(item, x, TITLE_SIZE * 2)
        x, bottom = right + GAP_X * 3, max(bottom, item_bottom)
    legend = _(
        "Dashed edge: the date of the placement is uncertain. Thick edge: changed on this "
        "date, or found by the search."
    )
    footer = [legend, source]
    return Drawing(
        title=NOT_IN_XML.sub("", title),
        footer=footer,
        boxes=layout.boxes,
        links=layout.links,
        width=max(x - GAP_X * 3, 400),
        footer_top=bottom + GAP_Y * 2,
    )
