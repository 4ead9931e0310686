"""Tests for borderkit/_offline.py: refusals, popup text without jQuery, thinning.

The web map itself, offline in a browser, is tested in tests/test_webmap_browser.py.
"""

from __future__ import annotations

import json
import re

import folium
import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderkit._offline import offline_html, thin
from borderkit.errors import ExportError


def _synthetic_map() -> folium.Map:
    return folium.Map(location=[41.0, 45.0], tiles=None)


def test_offline_html__refuses_an_awesome_markers_icon() -> None:
    fmap = _synthetic_map()
    folium.Marker([41.0, 45.0], icon=folium.Icon(color="red")).add_to(fmap)
    with pytest.raises(ExportError, match=r"folium\.Icon needs awesome-markers.*CircleMarker"):
        offline_html(fmap)


def test_offline_html__refuses_a_plugin_that_links_a_cdn() -> None:
    fmap = _synthetic_map()
    folium.RegularPolygonMarker([41.0, 45.0]).add_to(fmap)  # links leaflet-dvf from cdnjs
    with pytest.raises(ExportError, match=r"needs \['https://cdnjs\.cloudflare\.com/.*leaflet-dvf.*offline"):
        offline_html(fmap)


def test_offline_html__refuses_keep_in_front_which_calls_jquery() -> None:
    fmap = _synthetic_map()
    marker = folium.CircleMarker([41.0, 45.0]).add_to(fmap)
    fmap.keep_in_front(marker)
    with pytest.raises(ExportError, match=r"keep_in_front.*jQuery"):
        offline_html(fmap)


def test_offline_html__popup_text_is_a_json_string_not_a_jquery_template() -> None:
    fmap = _synthetic_map()
    text = "a `quoted` ${not_a_variable} </script> name"  # synthetic; every character JS template literals mangle
    folium.CircleMarker([41.0, 45.0], popup=folium.Popup(text)).add_to(fmap)
    page = offline_html(fmap)
    assert "$(" not in page
    contents = re.findall(r"\.setContent\((\".*?\")\);", page)
    assert len(contents) == 1
    assert text in json.loads(contents[0])
    assert page.count("</script>") == page.count("<script>")  # the popup's text closes no script early


def test_offline_html__default_marker_icon_is_inlined() -> None:
    fmap = _synthetic_map()
    folium.Marker([41.0, 45.0]).add_to(fmap)
    page = offline_html(fmap)
    assert "L.Icon.Default.imagePath = '';" in page
    assert re.search(r"iconUrl: 'data:image/png;base64,iVBORw0KGgo", page)  # the PNG signature, base64


def test_offline_html__same_map_built_twice_gives_the_same_text() -> None:
    def build() -> str:
        fmap = _synthetic_map()
        group = folium.FeatureGroup(name="synthetic").add_to(fmap)
        folium.CircleMarker([41.0, 45.0], popup="p", tooltip="t").add_to(group)
        folium.LayerControl().add_to(fmap)
        return offline_html(fmap)

    first = build()
    assert build() == first
    assert re.findall(r"var (\w+) = L\.circleMarker", first) == ["circle_marker_0003"]


@given(st.integers(0, 500), st.integers(1, 100))
def test_thin__keeps_at_most_limit_with_the_smallest_step(n: int, limit: int) -> None:
    kept, step = thin(list(range(n)), limit)
    assert len(kept) <= limit
    assert kept == list(range(0, n, step))
    if step > 1:  # one step less would draw too many
        assert len(range(0, n, step - 1)) > limit


def test_thin__limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"limit=0.*limit >= 1"):
        thin([1, 2, 3], 0)
