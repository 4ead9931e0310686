"""A self-contained HTML report of a verification: map, verdicts, cross-checks, sources.

The report is one HTML file with no external resource (the map is a PNG inside a
``data:`` URI, the CSS is inline), so it can be mailed, archived and printed as is. It
holds, in order: the case and what was measured, the overview map, the verdict of every
claim (first-order, with its tolerance parts, beside the Monte Carlo verdict with its
95 % interval and z), the cross-checks between claims, the measurements per pair and the
faces between the old and the new line, what lies in them (impact: per polygon, near the
new line, road routes; or which impact layers the case lacks), the uncertainty (error
budget, sensitivity, what the claims imply), the notes, and the source, licence, date,
accuracy and datum operation of every layer.

The headline counts claims by their final verdict: the Monte Carlo verdict where there
is one, else the first-order verdict. Every number carries its unit: areas in km² with 3
decimals, lengths in km (3 decimals) or m. When the case has no turning points, the
report says under its title that the new line is a proxy and that the faces between the
lines include mapping differences, not only handovers; a synthetic case says SYNTHETIC.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from borderkit._api import as_report, case_of
from borderkit._impact import IMPACT_ROLES
from borderkit._io import check_writable, write_text_atomic
from borderkit._present import face_verdicts, format_value, is_proxy, notices, went_to
from borderkit._report import Report
from borderkit._validate import check_path
from borderkit.case import Case
from borderkit.errors import ExportError

if TYPE_CHECKING:
    from borderkit._impact import ImpactResult
    from borderkit._measure import Measurements

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
.not-computable{color:#57606a;font-weight:600}.undetermined{color:#9a6700;font-weight:600}
.not-propagated{color:#57606a}
.notice{border-left:4px solid #b42318;background:#fff5f5;padding:.4em .7em;margin:.6em 0;font-weight:600}
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


def _unit(unit: str | None) -> str:
    """``km2`` as ``km²``: units as a reader writes them."""
    return {"km2": "km²", "m2": "m²"}.get(str(unit or ""), str(unit or ""))


def _val(value: float | None, unit: str, *, sign: bool = False) -> str:
    """A value in a claim's unit, fixed decimals, with the unit: ``"17.835 km"``."""
    if value is None or value != value:
        return "—"
    text = format_value(value, unit)
    if sign and not text.startswith("-"):
        text = "+" + text
    return f"{text} {_e(_unit(unit))}"


def _km(metres: float | None) -> float | None:
    return None if metres is None or metres != metres else metres / 1000


def _km2(m2: float | None) -> str:
    """An area in m² as km² with 3 decimals."""
    return "—" if m2 is None or m2 != m2 else f"{m2 / 1e6:.3f}"


def _cls(verdict: str | None) -> str:
    return str(verdict or "").replace(" ", "-")


def _case_title(case: Case) -> str:
    if case.synthetic and "SYNTHETIC" not in case.title:
        return f"SYNTHETIC: {case.title}"
    return case.title


def _verdict_section(report: Report) -> str:
    rows = []
    for v in report.verdicts:
        c = v.claim
        u = c.unit
        scope_text = "total" if c.is_total else "+".join(c.scope)
        parts = "<br>".join(f"{_e(k)}: ±{_val(x, u)}" for k, x in v.tolerance_parts.items()) or "—"
        if v.interval is not None:
            lo, _, hi = v.interval
            interval = f"{format_value(lo, u)}–{_val(hi, u)}"
        else:
            interval = "—"
        mc = v.statistical_verdict
        pct = "" if v.difference_pct is None else f" ({v.difference_pct:+.1f} %)"
        rows.append(
            [
                _td(f"<code>{_e(c.id)}</code><br><span class='muted'>{_e(c.wording)}</span>"),
                _td(_e(scope_text) + (f" → {_e(c.direction)}" if c.direction else "")),
                _td(f"{c.value:g} {_e(_unit(u))} (±{c.precision:g})", num=True),
                _td(_val(v.measured, u), num=True),
                _td(_val(v.difference, u, sign=True) + pct if v.difference is not None else "—", num=True),
                _td(f"±{_val(v.tolerance, u)}" if v.tolerance is not None else "—", num=True),
                _td(parts),
                _td(_e(v.verdict), cls=_cls(v.verdict)),
                _td(interval, num=True),
                _td(
                    (_e(mc) + f"<br><span class='muted'>{_e(v.statistical_reason)}</span>") if mc else "—", cls=_cls(mc)
                ),
                _td(
                    _e(v.reason)
                    + "<br><span class='muted'>said by "
                    + _e(c.said_by)
                    + "; "
                    + _e(c.source)
                    + " "
                    + _e(c.date)
                    + "</span>"
                ),
            ]
        )
    headers = [
        "claim",
        "scope",
        "reported (± rounding)",
        "measured",
        "difference",
        "tolerance",
        "tolerance parts (root sum of squares)",
        "quick look",
        "95 % interval (Monte Carlo)",
        "Monte Carlo verdict, over every rendering",
        "why, and who said it",
    ]
    if report.uncertainty is not None:
        unc = report.uncertainty
        lead = (
            f"<p>The verdict is the <b>Monte Carlo</b> one ({unc.draws:,} draws per rendering, seed {unc.seed}): "
            "the reported value's rounding interval against the 95 % interval of the measured value under "
            "each rendering of the new line; consistent or inconsistent only if so under every rendering, "
            "else <i>depends</i>; <i>undetermined</i> when the interval is wider than its median. The "
            "<b>quick look</b> sets |measured − reported| against a root-sum-of-squares tolerance.</p>"
        )
    else:
        lead = (
            "<p>Quick-look verdicts only (no Monte Carlo draws were made: <code>draws=0</code>): "
            "|measured − reported| against the tolerance, the root sum of squares of its parts.</p>"
        )
    return "<h2 id='verdicts'>Verdicts</h2>" + lead + _table(headers, rows, cls="verdicts")


def _checks_section(report: Report) -> str:
    head = "<h2 id='checks'>Cross-checks between claims</h2>"
    if not report.checks:
        return head + "<p>None declared.</p>"
    rows = [
        [
            _td(f"<code>{_e(c.check.id)}</code>"),
            _td(_e(c.check.kind)),
            _td(_e(", ".join(c.check.claims)) + (f" vs {_e(c.check.total)}" if c.check.total else "")),
            _td(_val(c.difference, c.unit, sign=True), num=True),
            _td(_e(c.verdict), cls=_cls(c.verdict)),
            _td(_e(c.reason)),
        ]
        for c in report.checks
    ]
    return head + _table(["check", "kind", "claims", "difference", "verdict", "why"], rows)


def _faces_words(m: Measurements) -> tuple[str, str]:
    """(heading, explanation) of the faces between the lines, by the line basis."""
    if is_proxy(m):
        return (
            "Faces between the old and the new line",
            "Each face lies between the old line and the new line (a proxy), so its country differs "
            "before and after. They include mapping differences between the lines, not only handovers.",
        )
    return ("Handed-over areas", "Each face lies between the old line and the new line through the turning points.")


def _measurements_section(case: Case, report: Report) -> str:
    m = report.measurements
    out = ["<h2 id='measurements'>Measurements</h2>"]
    basis = (
        "the line through the case's turning points" if not is_proxy(m) else "a proxy: no turning points in this case"
    )
    out.append(
        f"<p>Measured line: <b>{_e(m.line_basis)}</b> ({_e(basis)}); total geodesic length "
        f"<b>{_num(_km(m.total_length_m), '.3f')} km</b> "
        f"(planar in {_e(m.planar_crs or '—')}: {_num(_km(m.total_planar_length_m), '.3f')} km).</p>"
    )
    names = {c.code: c.name for c in case.countries}
    codes = [c.code for c in case.countries]
    per_pair = m.per_pair()
    if len(per_pair):
        cols = [("length_m", "length km (geodesic)", lambda x: _num(_km(x), ".3f"))]
        to = {c: went_to(case, m, c) for c in codes}  # a proxy's faces are "now on" a side
        cols += [(f"area_to_{c}_m2", f"{to[c]} km²", _km2) for c in codes]
        if len(codes) == 2:
            cols.append((f"net_area_to_{codes[1]}_m2", f"net {to[codes[1]]} km²", _km2))
        cols.append(("sliver_area_m2", "slivers km² (not counted)", _km2))
        cols = [col for col in cols if col[0] in per_pair.columns]
        rows = [
            [_td(_e(r["pair"]))] + [_td(fmt(_nan_none(r[k])), num=True) for k, _, fmt in cols]
            for r in per_pair.to_dict("records")
        ]
        out.append("<h3>Per pair</h3>" + _table(["pair", *[h for _, h, _ in cols]], rows))
    heading, words = _faces_words(m)
    if m.areas is not None and len(m.areas):
        rows = []
        for i, r in enumerate(m.areas.to_dict("records")):
            sliver = bool(r.get("sliver", False))
            claims = face_verdicts(report, str(r["to_country"]), str(r.get("pairs") or ""), sliver)
            rows.append(
                [
                    _td(str(i), num=True),
                    _td(
                        f"{_e(names.get(r['from_country'], r['from_country']))} → "
                        f"{_e(names.get(r['to_country'], r['to_country']))}"
                    ),
                    _td(_km2(r.get("area_m2")), num=True),
                    _td(_num(_nan_none(r.get("width_m")), ".0f"), num=True),
                    _td(
                        "sliver: not counted" if sliver else " — ".join(filter(None, ["counted", _e(r.get("kind"))])),
                        cls="muted" if sliver else "",
                    ),
                    _td(_e(r.get("pairs"))),
                    _td(_e(r.get("settlements"))),
                    _td("<br>".join(f"<code>{_e(v.claim.id)}</code>: {_e(v.final_verdict)}" for v in claims) or "—"),
                ]
            )
        width = "" if m.sliver_width_m is None else f" (narrower than {m.sliver_width_m:.1f} m)"
        out.append(
            f"<h3>{_e(heading)}</h3><p>{_e(words)} Slivers{_e(width)} are within the data's "
            "uncertainty: listed, counted for nothing, and no claim is about them.</p>"
            + _table(
                [
                    "face",
                    "country before → after",
                    "area km² (geodesic)",
                    "width m",
                    "counts",
                    "pairs",
                    "settlements inside",
                    "claims (final verdict)",
                ],
                rows,
            )
        )
    else:
        out.append(f"<p>{_e(heading)}: {_e(m.areas_reason or 'none')}</p>")
    st = m.settlements
    if len(st):
        rows = [
            [
                _td(_e(r.get("name"))),
                _td(_e(names.get(r.get("country"), r.get("country")))),
                _td(_e(r.get("pair"))),
                _td("yes" if r.get("has_coordinate") else "no published coordinate"),
                _td(_e(r.get("side_old") or "—")),
                _td(_e(r.get("side_new") or "—")),
                _td(_num(_nan_none(r.get("distance_to_new_m")), ".0f"), num=True),
            ]
            for r in st.drop(columns="geometry", errors="ignore").to_dict("records")
        ]
        out.append(
            "<h3>Settlements</h3>"
            + _table(
                [
                    "settlement",
                    "country",
                    "pair",
                    "coordinate",
                    "side of the old line",
                    "side of the new line",
                    "distance to the new line m",
                ],
                rows,
            )
        )
    return "".join(out)


def _words(items: list[str], conj: str = "or") -> str:
    """``"a, b or c"``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conj} {items[-1]}"


def _impact_section(case: Case, m: Measurements, res: ImpactResult | None) -> str:
    head = "<h2 id='impact'>Impact</h2>"
    present = [r for r in IMPACT_ROLES if case.layers_with_role(r)]
    land = "land between the lines" if is_proxy(m) else "handed-over land"
    polygon = "face between the lines" if is_proxy(m) else "handed-over polygon"
    if not present:
        return head + (
            f"<p>Not computed: no {_words(list(IMPACT_ROLES))} layer in this case, so nothing in the "
            f"{land} is counted. A layer with one of these roles in <code>case.toml</code> "
            "adds this section.</p>"
        )
    if res is None:
        return head + f"<p>Not computed: {_e(m.areas_reason)}</p>"
    lacking = [r for r in IMPACT_ROLES if r not in present]
    out = [
        head,
        f"<p>Rules: a building or feature counts for a {polygon} when at least "
        f"{res.building_share:.0%} of its footprint lies inside; a plot counts by the share of its area "
        f"inside; road length is the geodesic length inside. Slivers (narrower than the data's "
        f"uncertainty) count nothing." + (f" No {_words(lacking)} layer in this case." if lacking else "") + "</p>",
    ]
    names = {c.code: c.name for c in case.countries}
    cols = [
        ("buildings", "buildings", "g"),
        ("features", "features", "g"),
        ("plots", "plots", ".4g"),
        ("plots", "plots_area_ha", ".2f"),
        ("roads", "roads", "g"),
        ("roads", "road_length_m", ".0f"),
    ]
    cols = [c for c in cols if c[0] in present]
    labels = {
        "plots": "plots (sum of shares)",
        "plots_area_ha": "plot area ha",
        "roads": "roads (features)",
        "road_length_m": "road inside m",
    }
    p = res.polygons
    if len(p):
        rows = [
            [
                _td(_e(i), num=True),
                _td(_e(names.get(r["from_country"], r["from_country"]))),
                _td(_e(names.get(r["to_country"], r["to_country"]))),
                _td(_km2(r["area_m2"]), num=True),
                _td(_e(r["pairs"])),
                *[_td(_num(float(r[col]), fmt), num=True) for _, col, fmt in cols],
            ]
            for i, r in zip(p.index, p.to_dict("records"), strict=True)
        ]
        for code in sorted(set(p["to_country"])):
            t = res.totals(code)
            rows.append(
                [
                    _td("<b>total</b>"),
                    _td(""),
                    _td(f"<b>{_e(names.get(code, code))}</b>"),
                    _td(_km2(t["area_m2"]), num=True),
                    _td(""),
                    *[_td(_num(t[col], fmt), num=True) for _, col, fmt in cols],
                ]
            )
        out.append(
            f"<h3>Per {polygon}</h3>"
            + _table(
                ["polygon", "from", "to", "area km² (geodesic)", "pairs", *[labels.get(c, c) for _, c, _ in cols]],
                rows,
                cls="impact",
            )
        )
    else:
        out.append(f"<p>No {polygon}s: {_e(m.areas_reason or 'none')}</p>")
    if "roads" in present:
        cr = res.crossings
        out.append(
            "<h3>Roads crossing the new line</h3>"
            + (
                _table(
                    ["road", "layer", "crossings", "road length km"],
                    [
                        [
                            _td(_e(r.name)),
                            _td(_e(r.layer)),
                            _td(str(int(r.n_crossings)), num=True),
                            _td(_num(float(r.length_m) / 1000, ".3f"), num=True),
                        ]
                        for r in cr.itertuples()
                    ],
                )
                if len(cr)
                else "<p>None.</p>"
            )
        )
    near = res.near_line
    out.append(
        f"<h3>Within {res.within_m:g} m of the new line</h3>"
        + (
            _table(
                ["name", "kind", "layer", "distance m (geodesic)", "country after"],
                [
                    [
                        _td(_e(r.name)),
                        _td(_e(r.role)),
                        _td(_e(r.layer)),
                        _td(_num(float(r.distance_m), ".1f"), num=True),
                        _td(_e(r.country_after)),
                    ]
                    for r in near.itertuples()
                ],
            )
            if len(near)
            else "<p>Nothing.</p>"
        )
    )
    out.append("<h3>Road routes</h3>")
    if len(res.routes):
        out.append(
            _table(
                [
                    "from",
                    "to",
                    "country before → after",
                    "in-country before km",
                    "in-country after km",
                    "extra km",
                    "note",
                ],
                [
                    [
                        _td(_e(r["origin"])),
                        _td(_e(r["destination"])),
                        _td(f"{_e(r['country_before'])} → {_e(r['country_after'])}"),
                        *[
                            _td(_num(_km(_nan_none(r[k])), ".3f"), num=True)
                            for k in ("in_country_before_m", "in_country_after_m", "extra_m")
                        ],
                        _td(_e(r["note"])),
                    ]
                    for r in res.routes.to_dict("records")
                ],
            )
        )
    else:
        out.append(
            "<p class='muted'>No routes asked for: pass <code>impact_result=impact(case, "
            "routes=[(origin, destination)])</code> to compare the shortest in-country road route "
            "before and after.</p>"
        )
    if res.notes:
        out.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in res.notes) + "</ul>")
    return "".join(out)


def _nan_none(v: Any) -> float | None:
    return None if v is None or v != v else float(v)


#: What each tolerance part is; a claim's parts are those the verification used.
_PART_WORDS = {
    "rounding": "half a unit of the last digit of the wording (\u201c12 km\u201d = ±0.5 km)",
    "line_ends": "the accuracy of the turning points at both ends of the stretch (√2·σ)",
    "positional": "the positional accuracy of the lines: for lengths both ends shift by the line's accuracy "
    "(√2·σ); for areas each line shifts sideways along the faces it bounds",
    "settlements": "where the pair settlements are: they fix the ends of the measured stretch (without turning "
    "points) and which pair each piece of line belongs to",
    "rendering": "the difference between the two renderings of the new line",
    "datum": "the spread between candidate datum operations",
}


def _parts_used(report: Report) -> list[str]:
    return list(dict.fromkeys(k for v in report.verdicts for k in v.tolerance_parts))


def _uncertainty_section(report: Report) -> str:
    used = _parts_used(report)
    out = ["<h2 id='uncertainty'>Uncertainty</h2>"]
    if used:
        out.append(
            "<p>Each claim's first-order tolerance combines its parts (table above) in quadrature:</p><ul>"
            + "".join(f"<li><i>{_e(k)}</i>: {_e(_PART_WORDS.get(k, k))}</li>" for k in used)
            + "</ul>"
        )
    u = report.uncertainty
    if u is None:
        out.append(
            "<p class='muted'>No Monte Carlo step: verify with <code>draws</code> &gt; 0 for 95 % "
            "intervals, an error budget and a sensitivity analysis.</p>"
        )
        return "".join(out)
    m = u.model
    out.append(
        f"<p>Monte Carlo: {u.draws:,} draws per rendering, seed {u.seed}. Error model of the renderings: "
        f"σ {m.sigma_m:.0f} m, ℓ {m.length_m:.0f} m, ν {m.nu} ({_e(m.basis)}).</p>"
    )
    out.append("<ul>" + "".join(f"<li>{_e(c.line)}: {_e(c.reason)}</li>" for c in u.checks) + "</ul>")
    rows = []
    for c in u.claims:
        for sc in c.scenarios:
            iv = sc.interval
            rows.append(
                [
                    _td(f"<code>{_e(c.claim_id)}</code>"),
                    _td(_e(sc.scenario)),
                    _td(_val(sc.measured, c.unit), num=True),
                    _td(f"{format_value(iv.lo, c.unit)}–{_val(iv.hi, c.unit)}", num=True),
                    _td(_val(iv.lengthening, c.unit, sign=True), num=True),
                    _td(_e(sc.result.outcome), cls=_cls(sc.result.outcome)),
                    _td(_e(sc.result.tail_text)),
                ]
            )
    if rows:
        out.append(
            "<h3>Every claim under every rendering</h3>"
            + _table(
                ["claim", "rendering", "measured", "95 % interval", "model's lengthening", "outcome", "tail"], rows
            )
        )
    if len(u.sensitivity):
        srows = [
            [
                _td(f"<code>{_e(cid)}</code>"),
                _td(f"{ell:.0f} m", num=True),
                _td(f"{format_value(r.lo, r.unit)}–{_val(r.hi, r.unit)}", num=True),
            ]
            for (cid, ell), r in u.sensitivity.iterrows()
        ]
        out.append("<h3>Sensitivity to the correlation length</h3>" + _table(["claim", "ℓ", "95 % interval"], srows))
    if u.notes:
        out.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in u.notes) + "</ul>")
    return "".join(out)


def _sources_section(doc: Mapping[str, Any]) -> str:
    layers = (doc.get("case") or {}).get("layers") or []
    rows = []
    for lay in layers:
        t = lay.get("transformation") or {}
        rows.append(
            [
                _td(f"<code>{_e(lay.get('layer'))}</code>"),
                _td(_e(lay.get("role"))),
                _td(_e(lay.get("path"))),
                _td(_e(lay.get("source"))),
                _td(_e(lay.get("licence"))),
                _td(_e(lay.get("date"))),
                _td(_num(lay.get("accuracy_m"), "g"), num=True),
                _td(
                    f"{_e(t.get('source_crs'))} → WGS 84 via {_e(t.get('code') or 'no datum change')}"
                    f" ({_e(t.get('name'))}; accuracy {_num(t.get('accuracy_m'), 'g')} m)"
                ),
            ]
        )
    return "<h2 id='sources'>Sources and licences</h2>" + _table(
        ["layer", "role", "file", "source", "licence", "date", "accuracy m", "datum operation"], rows, cls="sources"
    )


def report_html(report: Report | Case | str | os.PathLike[str], *, map_png: bytes | None = None) -> str:
    """The report as one HTML string (see :func:`write_report`).

    ``map_png`` replaces the overview map (e.g. to skip drawing it in a test).
    """
    from borderkit import __version__
    from borderkit._plot import render_map

    report = as_report(report)
    case = report.case
    doc = report.to_dict()
    m = report.measurements
    if map_png is None:
        map_png = render_map(report, fmt="png", dpi=110)
    img = base64.b64encode(map_png).decode("ascii")
    counts: dict[str, int] = {}
    for v in report.verdicts:
        counts[v.final_verdict] = counts.get(v.final_verdict, 0) + 1
    summary = ", ".join(f"{n} {_e(k)}" for k, n in counts.items())
    how = (
        "by the Monte Carlo verdict where there is one, else first-order"
        if report.uncertainty is not None
        else "first-order verdicts; no Monte Carlo draws"
    )
    title = _case_title(case)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}: borderkit report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='muted'>Case <code>{_e(case.id)}</code>; borderkit {_e(__version__)}. "
        f"{len(report.verdicts)} claims ({_e(how)}): <span id='headline'>{summary}</span>.</p>",
        "".join(f"<p class='notice'>{_e(n)}</p>" for n in notices(case, m)),
        f"<p>{_e(case.description)}</p>" if case.description else "",
        "<figure><img alt='Overview map of the case' src='data:image/png;base64," + img + "'>"
        "<figcaption class='muted'>Overview map (UTM, geodesic scale bar). Sources and "
        "licences of every layer: see the last section.</figcaption></figure>",
        _verdict_section(report),
        _checks_section(report),
        _measurements_section(case, report),
        _impact_section(case, m, report.impact),
        _uncertainty_section(report),
        "<h2 id='notes'>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in m.notes) + "</ul>" if m.notes else "",
        _sources_section(doc),
        "</body></html>\n",
    ]
    return "\n".join(p for p in parts if p)


def write_report(
    report: Report | Case | str | os.PathLike[str], path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write a self-contained, printable HTML report (one file, no external resource).

    Parameters
    ----------
    report : Report, Case, str or path
        What :func:`borderkit.analyse` returned (a case is analysed once).
    path : str or path
        ``.html`` or ``.htm``.
    overwrite : bool
        Replace an existing file.

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
    >>> import borderkit
    >>> report = borderkit.analyse("tavush-2024", draws=200)
    >>> out = write_report(report, pathlib.Path(tempfile.mkdtemp()) / "r.html")
    >>> "Monte Carlo verdict" in out.read_text(encoding="utf-8")
    True
    """
    out = Path(check_path("path", path, example="'report.html'"))
    if out.suffix.lower() not in (".html", ".htm"):
        msg = f"{out}: a report is HTML; got suffix {out.suffix or '(none)'!r}. Allowed suffixes: .html, .htm."
        raise ExportError(msg)
    inputs = case_of(report).inputs
    check_writable(out, overwrite=overwrite, inputs=inputs)
    text = report_html(report)
    return write_text_atomic(out, text, overwrite=overwrite, inputs=inputs)
