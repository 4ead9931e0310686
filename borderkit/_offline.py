"""A folium map as one self-contained, byte-stable HTML file that needs no network.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs and
gives every element a random id. :func:`offline_html` renders a map instead with:

- Leaflet 1.9.4's ``leaflet.js`` and ``leaflet.css`` inlined from the installed
  ``django-js-lib-leaflet`` package (plain copies of Leaflet's release files, BSD-2-Clause,
  no dependencies; importing it does not import Django), its PNG images inlined as
  ``data:`` URIs, and its default marker icon pointed at them;
- no jQuery, Bootstrap, Font Awesome or awesome-markers: the one use of jQuery the maps
  make, popups' ``$(`<html>`)[0]``, is rendered without it, and an element that needs one
  of the others (``folium.Icon``) is refused;
- element ids numbered in the tree's order, so the same map gives the same bytes.

Base-map tiles, when a map has them, still load from their server: that is the one use
of the network left, and the caller says so in the map's attribution.

:func:`thin` keeps a layer with very many features openable in a browser by drawing
every n-th one and saying so.
"""

from __future__ import annotations

import base64
import math
import re
from collections import OrderedDict
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

from branca.element import Element, Figure

from borderkit.errors import ExportError

if TYPE_CHECKING:
    import folium

__all__ = ["offline_html", "thin"]

# folium 0.20 writes its JavaScript for Leaflet 1.9.
_LEAFLET_SERIES = "1.9"
_LEAFLET_PACKAGE = "js_lib_leaflet"
_LEAFLET_DIR = ("static", "js_lib_leaflet")
#: folium's CDN links by name: Leaflet, inlined instead, and what only awesome-markers needs.
_INLINED = frozenset({"leaflet", "leaflet_css"})
_UNNEEDED = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)
# folium's Popup template without jQuery: Leaflet's setContent takes the HTML string itself.
# folium escapes backticks for its template literal; a JSON string needs them plain.
_POPUP_TEMPLATE = """
var {{ this.get_name() }} = L.popup({{ this.options|tojavascript }});
{% for name, element in this.html._children.items() %}
{%- set content = element.render(**kwargs).replace('\\\\`', '`')|tojson %}
{%- if this.lazy %}
{{ this._parent.get_name() }}.once('click', function() { {{ this.get_name() }}.setContent({{ content }}); });
{%- else %}
{{ this.get_name() }}.setContent({{ content }});
{%- endif %}
{% endfor %}
{{ this._parent.get_name() }}.bindPopup({{ this.get_name() }}){% if this.show %}.openPopup(){% endif %};
"""
# Any reference to another file: what a standalone HTML must not have.
_EXTERNAL = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?!data:)[^\"'\s>]", re.I)

_T = TypeVar("_T")


def offline_html(fmap: folium.Map) -> str:
    """Render ``fmap`` as standalone HTML: Leaflet inlined, no CDN link, deterministic ids.

    The map is changed in place (its elements' ids and its resource lists); render it
    with this function only.

    Parameters
    ----------
    fmap : folium.Map

    Returns
    -------
    str
        The HTML text.

    Raises
    ------
    ExportError
        The map holds an element that needs a resource from the network other than
        Leaflet (an awesome-markers ``folium.Icon``, a plugin's script), or a jQuery call
        (``Map.keep_in_front``).

    Examples
    --------
    >>> import folium
    >>> fmap = folium.Map(location=[41.0, 45.0], tiles=None)
    >>> _ = folium.CircleMarker([41.0, 45.0], popup="a synthetic point").add_to(fmap)
    >>> text = offline_html(fmap)
    >>> "cdn" in text, "Leaflet 1.9." in text, "circle_marker_0002" in text
    (False, True, True)
    >>> offline_html(fmap) == text
    True
    """
    import folium
    from folium.template import Template

    root = fmap.get_root()
    if not isinstance(root, Figure):
        msg = f"web map: {fmap.get_name()} belongs to a {type(root).__name__}, not a page (branca Figure)."
        raise ExportError(msg)
    elements = list(_walk(root))
    for el in elements:
        if isinstance(el, folium.Icon):
            msg = (
                f"{el.get_name()}: folium.Icon needs awesome-markers, Bootstrap and Font Awesome from the "
                "network; draw the point as a folium.CircleMarker (or a Marker without an icon) instead."
            )
            raise ExportError(msg)
        if isinstance(el, folium.Map) and el.objects_to_stay_in_front:
            msg = f"{el.get_name()}: keep_in_front() needs jQuery from the network; add the layers in drawing order."
            raise ExportError(msg)
        if isinstance(el, folium.Popup):
            el._template = Template(_POPUP_TEMPLATE)
        _drop_links(el)
    _renumber(elements)
    # After the charset, which a browser looks for in the first 1024 bytes only.
    keys = list(root.header._children)
    root.header.add_child(
        _Raw(_leaflet_assets()),
        name="borderkit_leaflet",
        index=keys.index("meta_http") + 1 if "meta_http" in keys else 0,
    )
    text = root.render()
    found = _EXTERNAL.search(text)
    if found:  # a resource this module does not know about
        msg = f"web map: the HTML would load {found.group(0)!r} from outside the file; it must be self-contained."
        raise ExportError(msg)
    return text


def thin(items: list[_T], limit: int) -> tuple[list[_T], int]:
    """Every n-th of ``items``, with the smallest n that keeps at most ``limit`` of them.

    Returns the kept items and n (1: all kept).

    Examples
    --------
    >>> thin(list(range(10)), 4)
    ([0, 3, 6, 9], 3)
    >>> thin([1, 2], 4)
    ([1, 2], 1)
    """
    if limit < 1:
        msg = f"limit={limit!r}: at least one feature per layer must be drawn; give limit >= 1."
        raise ValueError(msg)
    step = max(1, math.ceil(len(items) / limit))
    return (items[::step] if step > 1 else items), step


class _Raw(Element):
    """Text put into the page as it is (an Element's text is a Jinja template: Leaflet's is not)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _walk(root: Element) -> Iterator[Element]:
    """Every element reachable from ``root``, each once, parents first, in insertion order."""
    seen: set[int] = set()
    stack: list[Element] = [root]
    while stack:
        el = stack.pop()
        if id(el) in seen:
            continue
        seen.add(id(el))
        yield el
        found: list[Element] = []
        for key, value in vars(el).items():
            if key == "_parent":
                continue
            if isinstance(value, dict):
                value = list(value.values())
            found += [v for v in (value if isinstance(value, list | tuple) else [value]) if isinstance(v, Element)]
        stack += reversed(found)


def _drop_links(el: Element) -> None:
    names = [name for name, _ in getattr(el, "default_js", [])] + [name for name, _ in getattr(el, "default_css", [])]
    unknown = [n for n in names if n not in _INLINED | _UNNEEDED]
    if unknown:
        urls = [url for name, url in [*el.default_js, *el.default_css] if name in unknown]  # type: ignore[attr-defined]
        msg = (
            f"{el.get_name()}: needs {urls!r} from the network, which an offline web map cannot load; "
            "use plain folium layers (GeoJson, CircleMarker, FeatureGroup)."
        )
        raise ExportError(msg)
    if names:
        # Instance attributes: folium's lists are class attributes shared by every map.
        el.default_js = []  # type: ignore[attr-defined]
        el.default_css = []  # type: ignore[attr-defined]


def _renumber(elements: list[Element]) -> None:
    """Give each element its index as id, and re-key the children dicts that used the old names."""
    old = {id(el): el.get_name() for el in elements}
    for i, el in enumerate(elements):
        el._id = f"{i:04d}"
    for el in elements:
        el._children = OrderedDict(
            (child.get_name() if key == old.get(id(child)) else key, child) for key, child in el._children.items()
        )


@cache
def _leaflet_assets() -> str:
    """``<style>`` and ``<script>`` blocks with Leaflet, its images as data: URIs."""
    try:
        folder = resources.files(_LEAFLET_PACKAGE).joinpath(*_LEAFLET_DIR)
        js = folder.joinpath("leaflet.js").read_text(encoding="utf-8")
        css = folder.joinpath("leaflet.css").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as err:
        msg = (
            f"web map: Leaflet's files are not installed ({err}); "
            "`pip install django-js-lib-leaflet` (a dependency of borderkit)."
        )
        raise ExportError(msg) from err
    banner = re.search(r"Leaflet (\d+\.\d+)\.\d+", js[:200])
    if banner is None or banner.group(1) != _LEAFLET_SERIES:
        msg = (
            f"web map: the installed {_LEAFLET_PACKAGE} ships {js[:120]!r}, not Leaflet {_LEAFLET_SERIES}.x, "
            "which folium's code is written for; `pip install 'django-js-lib-leaflet>=1.9.4.1,<1.10'`."
        )
        raise ExportError(msg)

    def data_uri(name: str) -> str:
        return "data:image/png;base64," + base64.b64encode(folder.joinpath("images", name).read_bytes()).decode()

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda m: f'url("{data_uri(m.group(1))}")', css)
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)  # no .map file travels with the page
    # Leaflet finds its marker images by a path read from the CSS, which a data: URI breaks.
    icons = (
        "L.Icon.Default.imagePath = '';\nL.Icon.Default.mergeOptions({"
        f"iconUrl: '{data_uri('marker-icon.png')}', iconRetinaUrl: '{data_uri('marker-icon-2x.png')}', "
        f"shadowUrl: '{data_uri('marker-shadow.png')}'}});"
    )
    return f"<style>\n{css}\n</style>\n<script>\n{js}\n{icons}\n</script>"
