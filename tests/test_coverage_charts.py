"""The SVG charts (pure): valid XML, escaped labels, dated axes, flagged bars, links, empty states."""
import xml.etree.ElementTree as ET
from datetime import date, timedelta

from outreach.coverage import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    root = ET.fromstring(str(svg))
    assert root.tag == SVG + "svg"
    return root


def texts(root) -> list[str]:
    return ["".join(el.itertext()) for el in root.iter(SVG + "text")]


def test_line_chart_is_valid_svg_with_one_polyline_per_series_and_a_legend():
    start = date(2026, 3, 2)
    backlog = charts.Series("Belum rekam", [(start + timedelta(days=7 * i), 445_000 - 20_000 * i) for i in range(10)])
    reachable = charts.Series("Backlog terjangkau", [(start + timedelta(days=7 * i), 300_000 - 15_000 * i)
                                                     for i in range(10)])
    root = parse(charts.line_chart([backlog, reachable], title="Tren belum rekam"))
    assert root.find(SVG + "title").text == "Tren belum rekam"
    assert root.get("role") == "img"
    lines = root.findall(f".//{SVG}polyline")
    assert len(lines) == 2
    # the two series differ by more than colour: the second one is dashed
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")
    assert len(lines[0].get("points").split()) == 10
    labels = texts(root)
    assert "Belum rekam" in labels and "Backlog terjangkau" in labels
    assert "400.000" in labels  # y axis from zero with Indonesian grouping
    # each point carries its exact value for hovering
    tips = [t.text for t in root.iter(SVG + "title")]
    assert "Belum rekam, 2 Mar 2026: 445.000" in tips


def test_line_chart_dates_the_x_axis():
    start = date(2026, 1, 10)
    series = charts.Series("Belum rekam", [(start + timedelta(days=i), 100 - i) for i in range(0, 200, 5)])
    root = parse(charts.line_chart([series], title="t"))
    dated = [el for el in root.iter(SVG + "text") if el.get("data-date")]
    days = [date.fromisoformat(el.get("data-date")) for el in dated]
    assert len(days) >= 3
    assert all(d.day == 1 for d in days)  # a half-year span is marked at month starts
    assert days == sorted(days) and days[0] >= start
    assert any("2026" in el.text for el in dated)


def test_short_ranges_are_marked_by_day_or_week():
    assert charts.date_ticks(date(2026, 5, 1), date(2026, 5, 4)) == [date(2026, 5, i) for i in range(1, 5)]
    weekly = charts.date_ticks(date(2026, 5, 1), date(2026, 6, 10))
    assert all(d.weekday() == 0 for d in weekly)


def test_line_chart_escapes_labels_and_breaks_lines_at_missing_values():
    series = charts.Series('<script>alert("x")</script>', [(date(2026, 1, 1), 5), (date(2026, 1, 2), None),
                                                         (date(2026, 1, 3), 3), (date(2026, 1, 4), 2)])
    svg = str(charts.line_chart([series], title="A & B <i>", markers=[charts.Marker(date(2026, 1, 2), "<b>")]))
    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg
    root = parse(svg)
    assert root.find(SVG + "title").text == "A & B <i>"
    assert '<script>alert("x")</script>' in texts(root)
    assert len(root.findall(f".//{SVG}polyline")) == 2  # the missing day splits the line


def test_line_chart_with_a_single_point_or_no_data():
    root = parse(charts.line_chart([charts.Series("x", [(date(2026, 1, 1), 10)])], title="t"))
    assert root.findall(f".//{SVG}circle")
    empty = parse(charts.line_chart([charts.Series("x", [])], title="t", empty_text="Belum ada titik."))
    assert "Belum ada titik." in texts(empty)
    flat = parse(charts.line_chart([charts.Series("x", [(date(2026, 1, 1), 0), (date(2026, 1, 9), 0)])], title="t"))
    assert flat.findall(f".//{SVG}polyline")


def test_bar_chart_links_flags_and_escapes():
    bars = [charts.Bar("Kecamatan <script>", 1200, href="/dasbor/33.74.01?a=1&b=2"),
            charts.Bar("Kecamatan Dua", 800, flag=True, note="kurang 3 sesi"),
            charts.Bar("Kecamatan Tiga", None, value_text="tidak tercapai")]
    svg = str(charts.bar_chart(bars, title="Paling lambat", reference=charts.Reference(1000, "Tenggat"),
                               flag_text="terlambat"))
    assert "<script>" not in svg
    root = parse(svg)
    links = root.findall(f".//{SVG}a")
    assert [a.get("href") for a in links] == ["/dasbor/33.74.01?a=1&b=2"]
    rects = [r for r in root.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    assert len(rects) == 2  # no bar for the missing value
    widths = [float(r.get("width")) for r in rects]
    assert widths[0] > widths[1] > 0
    assert rects[1].get("fill").startswith("url(#")  # hatched, readable without colour
    labels = texts(root)
    assert "Kecamatan <script>" in labels
    assert any("terlambat" in t for t in labels)
    assert "tidak tercapai" in labels
    assert "Tenggat" in labels


def test_bar_chart_ids_are_unique_per_chart_so_two_charts_share_a_page():
    a = parse(charts.bar_chart([charts.Bar("a", 1, flag=True)], title="a"))
    b = parse(charts.bar_chart([charts.Bar("b", 1, flag=True)], title="b"))
    ids_a = {el.get("id") for el in a.iter() if el.get("id")}
    ids_b = {el.get("id") for el in b.iter() if el.get("id")}
    assert ids_a and not ids_a & ids_b


def test_bar_chart_empty():
    root = parse(charts.bar_chart([], title="t", empty_text="Tidak ada wilayah."))
    assert "Tidak ada wilayah." in texts(root)


def test_nice_ticks():
    assert charts.nice_ticks(445_000) == [0, 100_000, 200_000, 300_000, 400_000, 500_000]
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(0) == [0, 1]
