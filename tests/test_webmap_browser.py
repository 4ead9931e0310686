"""The web map of borderkit/webmap.py opened in headless Chromium with the network blocked.

Chromium (Debian ``chromium``, ``chromium-driver``) is driven by Selenium. Every
connection the browser tries goes to a proxy on 127.0.0.1:9, where nothing listens, and
no host name resolves, so anything the page needed from outside would be missing. The
last test shows that this is so: folium's own rendering, which links Leaflet from a CDN,
draws nothing there.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
import shapely
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.actions.action_builder import ActionBuilder

from borderkit import webmap
from borderkit._export import geojson_features
from borderkit._layers import export_layers
from borderkit._measure import FACE_KINDS
from borderkit._present import face_label

_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--window-size=1280,900",
    "--hide-scrollbars",
    # The network, blocked: every connection through a proxy where nothing listens (loopback
    # included: "<-loopback>" removes Chromium's implicit bypass), and no name resolves.
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
_MAP = "window[document.querySelector('.folium-map').id]"


def _exe(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `apt-get install chromium chromium-driver` (.ci/run does this)")
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    opts = webdriver.ChromeOptions()
    opts.binary_location = _exe("chromium")
    for flag in _FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # A driver path given: Selenium Manager (which would download a driver) is not run.
    driver = webdriver.Chrome(service=Service(_exe("chromedriver")), options=opts)
    yield driver
    driver.quit()


def _open(driver: webdriver.Chrome, path: Path) -> dict[str, Any]:
    """Load ``path``; what the browser logged and requested while doing it."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get_log("performance")
    driver.get(path.as_uri())
    time.sleep(0.5)  # let Leaflet's deferred work (popups' autopan, renderer resize) finish
    requested = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    return {
        "console": driver.get_log("browser"),
        "urls": [m["params"]["request"]["url"] for m in requested if m["method"] == "Network.requestWillBeSent"],
    }


@pytest.fixture(scope="module")
def tavush_html(tmp_path_factory: pytest.TempPathFactory, case, report) -> Path:
    return webmap.save_web_map(report, tmp_path_factory.mktemp("webmap") / "tavush.html")


@pytest.fixture(scope="module")
def page(browser: webdriver.Chrome, tavush_html: Path) -> dict[str, Any]:
    return _open(browser, tavush_html)


@pytest.fixture(scope="module")
def drawn(case, report) -> dict[str, list[dict]]:
    """The features the map draws, by layer: the shipped case's, from the GIS export layers."""
    layers = {lay.name: geojson_features([lay]) for lay in export_layers(report)}
    for ctx in case.layers_with_role("context"):
        layers[f"context_{ctx.name}"] = [{"geometry": shapely.geometry.mapping(g)} for g in ctx.frame.geometry]
    del layers["segments"]  # the map draws the per-pair sections instead
    return layers


def test_browser__page_requests_nothing_from_the_network(page, tavush_html) -> None:
    outside = [u for u in page["urls"] if not u.startswith(("file:", "data:", "chrome:", "about:"))]
    assert outside == []
    assert [u for u in page["urls"] if u.startswith("file:")] == [tavush_html.as_uri()]  # no file beside it either
    assert [e for e in page["console"] if e["level"] in ("SEVERE", "WARNING")] == []


def test_browser__every_line_face_and_settlement_is_an_svg_path(browser, page, drawn, report) -> None:
    # Tavush: 13 places in settlements.geojson (SOURCES.md), 1 + 5 + 1 lines (case.toml), 1 extent,
    # 4 sections (one per pair), every face measured, 2 + 2 context polygons (ogrinfo: Feature Count 2 each).
    faces = len(report.measurements.areas)
    assert {k: len(v) for k, v in drawn.items() if k != "handed_over"} == {
        "settlements": 13,
        "new_line": 1,
        "osm_2025a": 1,
        "osm_2024b": 1,
        "osm_2024a": 1,
        "gb_2020": 1,
        "gb_2021": 1,
        "old_line": 1,
        "extent": 1,
        "sections": 4,
        "context_enclaves": 2,
        "context_countries": 2,
    }
    assert len(drawn["handed_over"]) == faces
    n_features = sum(len(feats) for feats in drawn.values())
    assert n_features == 13 + 7 + 1 + 4 + faces + 4
    assert browser.execute_script("return document.querySelectorAll('.leaflet-overlay-pane svg path').length") == (
        n_features
    )
    # Faces are drawn in their country's colour at fill-opacity 0.45, mapping differences at
    # 0.2, slivers grey (#999999) at 0.25 (settlements use 0.9, the context 0.35).
    fills = browser.execute_script(
        "return [...document.querySelectorAll('.leaflet-overlay-pane path')]"
        ".filter(p => ['0.45', '0.2', '0.25'].includes(p.getAttribute('fill-opacity')))"
        ".map(p => p.getAttribute('fill') + ' ' + p.getAttribute('fill-opacity'))"
    )
    colour = {"ARM": "#d95f02", "AZE": "#1b9e77"}
    opacity = {"mapping difference": "0.2", "named villages": "0.45"}
    expected = [
        "#999999 0.25" if p["kind"] == "sliver" else f"{colour[p['to_country']]} {opacity[p['kind']]}"
        for p in (f["properties"] for f in drawn["handed_over"])
    ]
    assert sorted(fills) == sorted(expected)
    assert {p["kind"] for p in (f["properties"] for f in drawn["handed_over"])} == set(opacity) | {"sliver"}


def test_browser__one_popup_per_face_and_a_click_shows_its_area(browser, page, case, report, drawn, planimeter) -> None:
    labels = [face_label(case, report.measurements, c.code, k) for c in case.countries for k in ("", *FACE_KINDS)]
    popups = browser.execute_script(
        f"const out = []; {_MAP}.eachLayer(l => {{ const p = l.getPopup && l.getPopup();"
        " if (p) { const d = document.createElement('div'); d.innerHTML = p.getContent(); out.push(d.textContent); }"
        " }); return out;"
    )
    faces = len(report.measurements.areas)
    assert faces >= 2
    assert sum(text.startswith(tuple(labels)) for text in popups) == len(drawn["handed_over"]) == faces

    # Click (a real pointer event) inside the largest face; its popup opens with its area.
    face = max(drawn["handed_over"], key=lambda f: shapely.geometry.shape(f["geometry"]).area)
    poly = shapely.geometry.shape(face["geometry"])
    assert poly.geom_type == "Polygon"
    inside = poly.point_on_surface()
    x, y = browser.execute_script(
        f"const p = {_MAP}.latLngToContainerPoint([{inside.y}, {inside.x}]); return [Math.round(p.x), Math.round(p.y)];"
    )
    # The largest face is the 7.3 km² by Berkaber: a mapping difference, drawn at 0.2.
    assert face["properties"]["kind"] == "mapping difference"
    assert browser.execute_script(f"return document.elementFromPoint({x}, {y}).getAttribute('fill-opacity')") == "0.2"
    actions = ActionBuilder(browser)
    actions.pointer_action.move_to_location(x, y).click()
    actions.perform()
    time.sleep(0.3)
    text = browser.execute_script(
        "const c = document.querySelector('.leaflet-popup-content'); return c ? c.textContent : null;"
    )
    assert text is not None
    assert text.startswith(tuple(labels))
    # Reference: GeographicLib's Planimeter on the same ring (minus any holes), in km² to 3 decimals.
    area_m2 = abs(planimeter(list(poly.exterior.coords)[:-1])[1]) - sum(
        abs(planimeter(list(r.coords)[:-1])[1]) for r in poly.interiors
    )
    shown = re.search(r"measured area: ([0-9.]+) km²", text)
    assert shown is not None
    assert float(shown.group(1)) == pytest.approx(area_m2 / 1e6, abs=0.0006)


def test_browser__screenshot_shows_the_faces_and_the_new_line(browser, tavush_html, tmp_path_factory) -> None:
    _open(browser, tavush_html)  # afresh: no popup or tooltip left open by another test
    png = tmp_path_factory.mktemp("screenshot") / "tavush.png"
    assert browser.save_screenshot(str(png))
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int).reshape(-1, 3)
    assert len(np.unique(rgb, axis=0)) > 1000  # a blank page has a handful

    def pixels(colour: tuple[int, int, int], tol: int) -> int:
        return int((np.abs(rgb - np.array(colour)).max(axis=1) <= tol).sum())

    # Expected colours by hand (alpha compositing, rounded): Leaflet's background #dddddd under
    # the context fill #eeeeee at 0.35 gives 0.35*238 + 0.65*221 = 227 (#e3e3e3); a face
    # #1b9e77 at 0.45 over it gives (0.45*27 + 0.55*227, 0.45*158 + 0.55*227, 0.45*119 + 0.55*227)
    # = (137.0, 195.9, 178.4); the mapping differences now on Armenia's side, #d95f02 at 0.2,
    # (0.2*217 + 0.8*227, 0.2*95 + 0.8*227, 0.2*2 + 0.8*227) = (225.0, 200.6, 182.0).
    # The new line is #7a0177, opaque.
    assert pixels((227, 227, 227), 1) > 0.2 * len(rgb)
    assert pixels((225, 201, 182), 2) > 1000
    assert pixels((137, 196, 178), 2) > 1000
    assert pixels((0x7A, 0x01, 0x77), 4) > 500


def test_browser__with_tiles_only_the_tiles_come_from_the_network(browser, case, report, drawn, tmp_path) -> None:
    seen = _open(browser, webmap.save_web_map(report, tmp_path / "tiles.html", tiles=True))
    hosts = {urlsplit(u).hostname for u in seen["urls"] if u.startswith(("http:", "https:"))}
    assert hosts == {"tile.openstreetmap.org"}  # blocked here, so Chromium logs them as failed
    n_paths = browser.execute_script("return document.querySelectorAll('.leaflet-overlay-pane svg path').length")
    assert n_paths == sum(len(feats) for feats in drawn.values())


def test_browser__network_is_really_blocked__folium_cdn_page_draws_nothing(browser, case, report, tmp_path) -> None:
    cdn = tmp_path / "cdn.html"
    cdn.write_text(webmap.web_map(report).get_root().render(), encoding="utf-8")
    seen = _open(browser, cdn)
    failed = [e["message"] for e in seen["console"] if "Failed to load resource" in e["message"]]
    assert any("leaflet.js" in m for m in failed)
    assert browser.execute_script("return typeof L") == "undefined"
    assert browser.execute_script("return document.querySelectorAll('path').length") == 0
