"""The inline-SVG sparkline of recent durations."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from aperture_verify.history.sparkline import sparkline_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_nothing_to_draw_is_empty() -> None:
    assert sparkline_svg([]) == ""


def test_current_run_is_marked_and_the_svg_is_well_formed() -> None:
    svg = sparkline_svg([3.0, 3.1, 2.9], current=9.8, warned=True, title="W <3> took 9.8s")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    points = root.find(f"{SVG}polyline")
    assert points is not None and len(points.attrib["points"].split()) == 4
    dot = root.find(f"{SVG}circle")
    assert dot is not None and dot.attrib["fill"] == "#e0a100"
    assert float(dot.attrib["cy"]) < 5  # the slow night stands at the top
    assert root.findtext(f"{SVG}title") == "W <3> took 9.8s"


def test_history_without_a_current_run_has_no_marker() -> None:
    root = ET.fromstring(sparkline_svg([1.0, 0.0]))
    assert root.find(f"{SVG}circle") is None
