"""A self-contained HTML report of a verification: map, verdicts, cross-checks, sources.

The report is one HTML file with no external resource (the map is a PNG inside a
``data:`` URI, the CSS is inline), so it can be mailed, archived and printed as is. It
holds, in order: the case and what was measured, the overview map, the verdict of every
claim with its tolerance parts, the cross-checks between claims, the measurements per
pair and the handed-over areas, what lies in the handed-over land (impact: per polygon,
near the new line, road routes; or which impact layers the case lacks), the uncertainty
(whatever the verification reports), the notes, and the source, licence, date, accuracy
and datum operation of every layer.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from borderkit._io import write_text_atomic
from borderkit.case import Case
from borderkit.errors import ExportError

if TYPE_CHECKING:
    from borderkit.impact import ImpactResult
    from borderkit.measure import Measurements
    from borderkit.verify import Report

__all__ = ["report_html", "write_report"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
 max-width:1100px;margin:2em auto;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;border-bottom:1px solid #d0d7de;
 padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:.25em .45em;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.consistent{color:#1a7f37;font-weight:600}.inconsistent{color:#b42318;font-weight:600}
.not-computable{color:#57606a;font-weight:600}
.muted{color:#57606a}figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #d0d7de}
code{font-size:.9em}
@media print{body{max-width:none;margin:0;font-size:10pt}h2{page-break-after:avoid}
 table,figure{page-break-inside:avoid}a{color:inherit;text-decoration:none}
 @page{size:A4;margin:15mm}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any, fmt: str = ".4g") -> str:
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        return format(value, fmt)
    return _e(value)


def _table(headers: list[str], rows: list[list[str]], *, cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(rows_cell for rows_cell in r) + "</tr>" for r in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(value: Any, *, num: bool = False, cls: str = "") -> str:
    classes = " ".join(c for c in ("num" if num else "", cls) if c)
    attr = f" class='{classes}'" if classes else ""
    return f"<td{attr}>{value}</td>"


def _nested(value: Any) -> str:
    """Any JSON-like value as nested definition lists (for the uncertainty section)."""
    if isinstance(value, Mapping):
        items = "".join(f"<dt>{_e(k)}</dt><dd>{_nested(v)}</dd>" for k, v in value.items())
        return f"<dl>{items}</dl>"
    if isinstance(value, list):
        if value and all(isinstance(v, Mapping) for v in value):
            keys = list(dict.fromkeys(k for v in value for k in v))
            return _table(keys, [[_td(_flat(v.get(k)), num=isinstance(v.get(k), (int, float)))
                                  for k in keys] for v in value])
        return ", ".join(_nested(v) for v in value)
    if isinstance(value, float):
        return _e(f"{value:.6g}")
    return _e(value)


def _flat(value: Any) -> str:
    if isinstance(value, (Mapping, list)):
        return _e(json.dumps(value, ensure_ascii=False))
    if isinstance(value, float):
        return _e(f"{value:.6g}")
    return _e(value)


def _get(doc: Mapping[str, Any], key: str, sub: str) -> Any:
    return (doc.get(key) or {}).get(sub)


def _km(metres: float | None) -> float | None:
    return None if metres is None else metres / 1000


def _verdict_section(doc: Mapping[str, Any]) -> str:
    rows = []
    for c in doc.get("claims", []):
        rep = c.get("reported") or {}
        mea = c.get("measured") or {}
        dif = c.get("difference") or {}
        tol = c.get("tolerance") or {}
        parts = tol.get("parts") or {}
        verdict = str(c.get("verdict", ""))
        scope = c.get("scope")
        scope_text = "total" if scope == "total" else "+".join(scope or [])
        rows.append([
            _td(f"<code>{_e(c.get('id'))}</code><br><span class='muted'>{_e(rep.get('wording'))}</span>"),
            _td(_e(scope_text) + (f" → {_e(c['direction'])}" if c.get("direction") else "")),
            _td(f"{_num(rep.get('value'), 'g')} {_e(rep.get('unit'))} (±{_num(rep.get('precision'), 'g')})",
                num=True),
            _td(f"{_num(mea.get('value'))} {_e(mea.get('unit', ''))}" if mea else "—", num=True),
            _td(f"{_num(dif.get('value'), '+.3g')} ({_num(dif.get('percent'), '+.1f')} %)" if dif else "—",
                num=True),
            _td(f"±{_num(tol.get('value'), '.3g')}" if tol else "—", num=True),
            _td("<br>".join(f"{_e(k)}: ±{_num(v, '.3g')}" for k, v in parts.items()) or "—"),
            _td(_e(verdict), cls=verdict.replace(" ", "-")),
            _td(_e(c.get("reason")) + "<br><span class='muted'>said by "
                + _e((c.get("sources") or {}).get("said_by")) + "; "
                + _e((c.get("sources") or {}).get("source")) + " "
                + _e((c.get("sources") or {}).get("date")) + "</span>"),
        ])
    headers = ["claim", "scope", "reported", "measured", "difference", "tolerance",
               "tolerance parts (root sum of squares)", "verdict", "why, and who said it"]
    return "<h2 id='verdicts'>Verdicts</h2>" + _table(headers, rows, cls="verdicts")


def _checks_section(doc: Mapping[str, Any]) -> str:
    checks = doc.get("checks") or []
    if not checks:
        return "<h2 id='checks'>Cross-checks between claims</h2><p>None declared.</p>"
    rows = [[_td(f"<code>{_e(c.get('id'))}</code>"), _td(_e(c.get("kind"))),
             _td(_e(", ".join(c.get("claims") or [])) + (f" vs {_e(c['total'])}" if c.get("total") else "")),
             _td(f"{_num(_get(c, 'difference', 'value'), '+.3g')} {_e(_get(c, 'difference', 'unit'))}",
                 num=True),
             _td(_e(c.get("verdict")), cls=str(c.get("verdict", "")).replace(" ", "-")),
             _td(_e(c.get("reason")))] for c in checks]
    return ("<h2 id='checks'>Cross-checks between claims</h2>"
            + _table(["check", "kind", "claims", "difference", "verdict", "why"], rows))


def _measurements_section(doc: Mapping[str, Any], case: Case) -> str:
    m = doc.get("measurements") or {}
    out = ["<h2 id='measurements'>Measurements</h2>"]
    total = m.get("total_length_m")
    out.append(f"<p>Measured line: <b>{_e(m.get('line_basis'))}</b>; total geodesic length "
               f"<b>{_num(_km(total), '.3f')} km</b> "
               f"(planar in {_e(m.get('planar_crs'))}: "
               f"{_num(_km(m.get('total_planar_length_m')), '.3f')} km).</p>")
    per_pair = m.get("per_pair") or []
    if per_pair:
        out.append("<h3>Per pair</h3>" + _nested(per_pair))
    areas = m.get("areas")
    names = {c.code: c.name for c in case.countries}
    if areas:
        rows = [[_td(_e(names.get(a.get("from_country"), a.get("from_country")))),
                 _td(_e(names.get(a.get("to_country"), a.get("to_country")))),
                 _td(_num((a.get("area_m2") or 0) / 1e6, ".4f"), num=True),
                 _td(_e(a.get("pairs"))), _td(_e(a.get("settlements")))] for a in areas]
        out.append("<h3>Handed-over areas</h3>"
                   + _table(["from", "to", "area km² (geodesic)", "pairs", "settlements inside"], rows))
    else:
        out.append(f"<p>Handed-over areas: {_e(m.get('areas_reason') or 'none')}</p>")
    settlements = m.get("settlements") or []
    if settlements:
        out.append("<h3>Settlements</h3>" + _nested(settlements))
    return "".join(out)


def _words(items: list[str], conj: str = "or") -> str:
    """``"a, b or c"``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conj} {items[-1]}"


def _impact_section(case: Case, m: Measurements, res: ImpactResult | None) -> str:
    from borderkit.impact import IMPACT_ROLES, _cached_impact

    head = "<h2 id='impact'>Impact</h2>"
    present = [r for r in IMPACT_ROLES if case.layers_with_role(r)]
    if not present:
        return head + (f"<p>Not computed: no {_words(list(IMPACT_ROLES))} layer in this case, so nothing in the "
                       "handed-over land is counted. A layer with one of these roles in <code>case.toml</code> "
                       "adds this section.</p>")
    if res is None:
        res = _cached_impact(case, m)
    lacking = [r for r in IMPACT_ROLES if r not in present]
    out = [head, f"<p>Rules: a building or feature counts for a handed-over polygon when at least "
                 f"{res.building_share:.0%} of its footprint lies inside; a plot counts by the share of its area "
                 f"inside; road length is the geodesic length inside. Slivers (narrower than the data's "
                 f"uncertainty) count nothing."
                 + (f" No {_words(lacking)} layer in this case." if lacking else "") + "</p>"]
    names = {c.code: c.name for c in case.countries}
    cols = [("buildings", "buildings", "g"), ("features", "features", "g"), ("plots", "plots", ".4g"),
            ("plots", "plots_area_ha", ".2f"), ("roads", "roads", "g"), ("roads", "road_length_m", ".0f")]
    cols = [c for c in cols if c[0] in present]
    labels = {"plots": "plots (sum of shares)", "plots_area_ha": "plot area ha", "roads": "roads (features)",
              "road_length_m": "road inside m"}
    p = res.polygons
    if len(p):
        rows = [[_td(_e(i), num=True), _td(_e(names.get(r["from_country"], r["from_country"]))),
                 _td(_e(names.get(r["to_country"], r["to_country"]))),
                 _td(_num(r["area_m2"] / 1e6, ".4f"), num=True), _td(_e(r["pairs"])),
                 *[_td(_num(float(r[col]), fmt), num=True) for _, col, fmt in cols]]
                for i, r in zip(p.index, p.to_dict("records"), strict=True)]
        for code in sorted(set(p["to_country"])):
            t = res.totals(code)
            rows.append([_td("<b>total</b>"), _td(""), _td(f"<b>{_e(names.get(code, code))}</b>"),
                         _td(_num(t["area_m2"] / 1e6, ".4f"), num=True), _td(""),
                         *[_td(_num(t[col], fmt), num=True) for _, col, fmt in cols]])
        out.append("<h3>Per handed-over polygon</h3>" + _table(
            ["polygon", "from", "to", "area km² (geodesic)", "pairs", *[labels.get(c, c) for _, c, _ in cols]],
            rows, cls="impact"))
    else:
        out.append(f"<p>No handed-over polygons: {_e(m.areas_reason or 'none')}</p>")
    if "roads" in present:
        cr = res.crossings
        out.append("<h3>Roads crossing the new line</h3>" + (
            _table(["road", "layer", "crossings", "road length km"],
                   [[_td(_e(r.name)), _td(_e(r.layer)), _td(str(int(r.n_crossings)), num=True),
                     _td(_num(float(r.length_m) / 1000, ".3f"), num=True)] for r in cr.itertuples()])
            if len(cr) else "<p>None.</p>"))
    near = res.near_line
    out.append(f"<h3>Within {res.within_m:g} m of the new line</h3>" + (
        _table(["name", "kind", "layer", "distance m (geodesic)", "country after"],
               [[_td(_e(r.name)), _td(_e(r.role)), _td(_e(r.layer)), _td(_num(float(r.distance_m), ".1f"), num=True),
                 _td(_e(r.country_after))] for r in near.itertuples()])
        if len(near) else "<p>Nothing.</p>"))
    out.append("<h3>Road routes</h3>")
    if len(res.routes):
        out.append(_table(
            ["from", "to", "country before → after", "in-country before km", "in-country after km", "extra km",
             "note"],
            [[_td(_e(r["origin"])), _td(_e(r["destination"])),
              _td(f"{_e(r['country_before'])} → {_e(r['country_after'])}"),
              *[_td(_num(_km(_nan_none(r[k])), ".3f"), num=True)
                for k in ("in_country_before_m", "in_country_after_m", "extra_m")],
              _td(_e(r["note"]))] for r in res.routes.to_dict("records")]))
    else:
        out.append("<p class='muted'>No routes asked for: pass <code>impact_result=impact(case, "
                   "routes=[(origin, destination)])</code> to compare the shortest in-country road route "
                   "before and after.</p>")
    if res.notes:
        out.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in res.notes) + "</ul>")
    return "".join(out)


def _nan_none(v: Any) -> float | None:
    return None if v is None or v != v else float(v)


def _uncertainty_section(doc: Mapping[str, Any]) -> str:
    out = ["<h2 id='uncertainty'>Uncertainty</h2>",
           "<p>Each claim's tolerance combines its parts (table above) in quadrature: "
           "<i>rounding</i> of the wording, <i>line_ends</i> (where the measured stretch "
           "begins and ends), <i>positional</i> accuracy of the lines, <i>rendering</i> "
           "(difference between the two renderings of the new line) and <i>datum</i> "
           "(spread between candidate datum operations).</p>"]
    for key in ("uncertainty", "intervals"):
        if key in doc:
            out.append(f"<h3>{_e(key)}</h3>" + _nested(doc[key]))
    for c in doc.get("claims", []):
        for key in ("uncertainty", "interval", "intervals"):
            if key in c:
                out.append(f"<h3>{_e(c.get('id'))}: {_e(key)}</h3>" + _nested(c[key]))
    return "".join(out)


def _sources_section(doc: Mapping[str, Any]) -> str:
    layers = (doc.get("case") or {}).get("layers") or []
    rows = []
    for lay in layers:
        t = lay.get("transformation") or {}
        rows.append([_td(f"<code>{_e(lay.get('layer'))}</code>"), _td(_e(lay.get("role"))),
                     _td(_e(lay.get("path"))), _td(_e(lay.get("source"))), _td(_e(lay.get("licence"))),
                     _td(_e(lay.get("date"))), _td(_num(lay.get("accuracy_m"), "g"), num=True),
                     _td(f"{_e(t.get('source_crs'))} → WGS 84 via {_e(t.get('code') or 'no datum change')}"
                         f" ({_e(t.get('name'))}; accuracy {_num(t.get('accuracy_m'), 'g')} m)")])
    return ("<h2 id='sources'>Sources and licences</h2>"
            + _table(["layer", "role", "file", "source", "licence", "date", "accuracy m",
                      "datum operation"], rows, cls="sources"))


def report_html(case: Case, *, measurements: Measurements | None = None, report: Report | None = None,
                map_png: bytes | None = None, impact_result: ImpactResult | None = None) -> str:
    """The report as one HTML string (see :func:`write_report`).

    ``map_png`` replaces the overview map (e.g. to skip drawing it in a test);
    ``impact_result`` (:func:`borderkit.impact.impact`, e.g. with routes) the impact
    computed with the default rules.
    """
    from borderkit import __version__

    if report is None:
        from borderkit.verify import verify

        report = verify(case, measurements=measurements)
    doc = report.to_dict()
    if map_png is None:
        from borderkit.plot import render_map

        map_png = render_map(case, fmt="png", dpi=110, measurements=report.measurements, report=report,
                             impact_result=impact_result)
    img = base64.b64encode(map_png).decode("ascii")
    notes = (doc.get("measurements") or {}).get("notes") or []
    counts: dict[str, int] = {}
    for c in doc.get("claims", []):
        counts[c.get("verdict", "")] = counts.get(c.get("verdict", ""), 0) + 1
    summary = ", ".join(f"{n} {_e(k)}" for k, n in counts.items())
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(case.title)}: borderkit report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(case.title)}</h1>",
        f"<p class='muted'>Case <code>{_e(case.id)}</code>; borderkit {_e(__version__)}. "
        f"{len(doc.get('claims', []))} claims: {summary}.</p>",
        f"<p>{_e(case.description)}</p>" if case.description else "",
        "<figure><img alt='Overview map of the case' src='data:image/png;base64," + img + "'>"
        "<figcaption class='muted'>Overview map (UTM, geodesic scale bar). Sources and "
        "licences of every layer: see the last section.</figcaption></figure>",
        _verdict_section(doc),
        _checks_section(doc),
        _measurements_section(doc, case),
        _impact_section(case, report.measurements, impact_result),
        _uncertainty_section(doc),
        "<h2 id='notes'>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>" if notes else "",
        _sources_section(doc),
        "</body></html>\n",
    ]
    return "\n".join(p for p in parts if p)


def write_report(case: Case, path: str | os.PathLike[str], *, overwrite: bool = False,
                 measurements: Measurements | None = None, report: Report | None = None,
                 impact_result: ImpactResult | None = None) -> Path:
    """Write a self-contained, printable HTML report of the verification of ``case``.

    Parameters
    ----------
    case : Case
    path : str or path
        ``.html`` or ``.htm``.
    overwrite : bool
        Replace an existing file.
    measurements, report : optional
        Reuse measurements or a verification already made.
    impact_result : ImpactResult, optional
        Reuse :func:`borderkit.impact.impact` results, e.g. with ``routes``.

    Returns
    -------
    Path

    Raises
    ------
    ExportError
        Bad suffix, or the file exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from borderkit import load_case
    >>> out = write_report(load_case("tavush-2024"), pathlib.Path(tempfile.mkdtemp()) / "r.html")
    >>> "Verdicts" in out.read_text(encoding="utf-8")
    True
    """
    out = Path(path)
    if out.suffix.lower() not in (".html", ".htm"):
        msg = f"{out}: a report is HTML; got suffix {out.suffix or '(none)'!r}. Allowed suffixes: .html, .htm."
        raise ExportError(msg)
    from borderkit._io import check_writable

    check_writable(out, overwrite=overwrite)
    text = report_html(case, measurements=measurements, report=report, impact_result=impact_result)
    return write_text_atomic(out, text, overwrite=overwrite)
