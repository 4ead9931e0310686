"""The text form of a Report: what ``borderkit verify`` prints, at most 100 columns wide.

Every figure is a field of the Report; units are spelt one way (km, km², m); a
difference is shown only where the rounding shown does not hide it.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from borderkit._present import attribution, format_value, notices

if TYPE_CHECKING:
    from borderkit._report import Report
    from borderkit._verify import Verdict

__all__ = ["WIDTH", "render_report"]

#: The widest line printed.
WIDTH = 100
_UNITS = {"km2": "km²", "m2": "m²"}


def _u(unit: str) -> str:
    return _UNITS.get(unit, unit)


def _v(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{format_value(value, unit)} {_u(unit)}"


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return out


def _wrap(text: str, indent: str = "  ", hang: str = "    ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=hang) or [indent.rstrip()]


def _verdict(v: Verdict) -> str:
    return str(v.final_verdict)


def render_report(report: Report) -> str:
    """The text printed by ``borderkit verify``: the verdicts first, then what they rest on."""
    case, m, u = report.case, report.measurements, report.uncertainty
    pairs = len(case.pairs)
    out = [("SYNTHETIC: " if case.synthetic and "SYNTHETIC" not in case.title else "") + case.title]
    out.append(f"case {case.id!r}: {pairs} settlement pair{'s' if pairs != 1 else ''}, {len(case.layers)} layers")
    out += [line for n in notices(case, m) for line in _wrap(n, "", "")]
    out.append("")
    rows = []
    for v in report.verdicts:
        c = v.claim
        iv = "—" if v.interval is None else f"{format_value(v.interval[0], c.unit)}–{_v(v.interval[2], c.unit)}"
        rows.append([c.id, f"{c.value:g} {_u(c.unit)}", _v(v.measured, c.unit), iv, _verdict(v)])
    head = ["claim", "reported", f"measured ({m.rendering or 'new line'})", "95 % interval", "verdict"]
    out += _table(rows, head)
    out.append("")
    how = (
        f"Verdicts: Monte Carlo, {u.draws:,} draws per rendering (seed {u.seed}); consistent or inconsistent "
        "only if so under every rendering of the new line."
        if u is not None
        else "Verdicts: quick look only (--draws 0): |measured − reported| against a root-sum-of-squares tolerance."
    )
    out += _wrap(how, "", "")
    out += ["", "Why:"]
    for v in report.verdicts:
        why = v.statistical_reason if v.statistical_verdict is not None else v.reason
        out += _wrap(f"{v.claim.id}: {why}")
        if v.statistical_verdict is not None and v.tolerance is not None:
            out += _wrap(f"quick look: {v.verdict}: {v.reason}", "    ", "      ")
    if report.checks:
        out += ["", "The claims against each other:"]
        out += [line for ch in report.checks for line in _wrap(f"{ch.check.id}: {ch.verdict}: {ch.reason}")]
    scen = report.scenarios_frame()
    if len(scen) > 1:
        cols = [col for col in scen.columns if col not in ("label", "spacing_m")]
        out += ["", "Each claim on each rendering of the new line (vertex spacing: the step it was drawn at):"]
        out += [f"  [{k + 1}] {col}" for k, col in enumerate(cols)]
        srows = []
        for _, r in scen.iterrows():
            spacing = "—" if r["spacing_m"] is None else f"{r['spacing_m']:.0f} m"
            cells = ["—" if r[c] is None or r[c] != r[c] else f"{r[c]:.2f}" for c in cols]
            srows.append([str(r["label"]), spacing, *cells])
        head = ["rendering", "spacing", *(f"[{k + 1}]" for k in range(len(cols)))]
        out += ["  " + line for line in _table(srows, head)]
    if u is not None:
        mod = u.model
        out += ["", "How sure:"]
        out += _wrap(
            f"error model of the renderings: σ {mod.sigma_m:.0f} m, ℓ {mod.length_m:.0f} m, ν {mod.nu}: {mod.basis}"
        )
        if u.old_model is not None:
            o = u.old_model
            out += _wrap(f"old line: σ {o.sigma_m:.0f} m, ℓ {o.length_m:.0f} m: {o.basis}")
        out += [line for ch in u.checks for line in _wrap(f"{ch.line}: {ch.reason}")]
        for cid in dict.fromkeys(u.sensitivity.index.get_level_values("claim")):
            sub = u.sensitivity.loc[cid]
            unit = str(sub["unit"].iloc[0])
            bits = [f"ℓ {ell:.0f} m: {format_value(r.lo, unit)}–{_v(r.hi, unit)}" for ell, r in sub.iterrows()]
            out += _wrap(f"{cid}, ℓ halved / as fitted / doubled: " + "; ".join(bits))
        out += [line for n in u.notes for line in _wrap(f"- {n}")]
    out += ["", "How the numbers were measured:"]
    out += [line for n in m.notes for line in _wrap(f"- {n}")]
    if m.total_length_m is not None and m.total_planar_length_m is not None:
        out += _wrap(
            f"- line: {m.total_length_m / 1000:.3f} km on the WGS 84 ellipsoid (geodesic between vertices) vs "
            f"{m.total_planar_length_m / 1000:.3f} km planar in {m.planar_crs} "
            f"({m.total_planar_length_m - m.total_length_m:+.1f} m)"
        )
    out += _wrap(f"- areas: {m.areas_reason}")
    if m.areas is not None:
        for r in m.areas.itertuples():
            if getattr(r, "sliver", False):
                continue
            held = f", holds {r.settlements}" if r.settlements else ""
            out += _wrap(f"{r.area_m2 / 1e6:6.2f} km² {r.from_country} → {r.to_country}, pair {r.pairs or '—'}: "
                         f"{getattr(r, 'kind', '')}{held}", "      ", "        ")  # fmt: skip
    if report.impact is not None:
        out += ["", f"Impact (what lies in the handed-over land): {report.impact!r}"]
        out += [line for n in report.impact.notes for line in _wrap(f"- {n}")]
    s = m.settlements
    out += ["", "Settlements (side of the new / old line, distance to the new line; sources):"]
    for r in s.itertuples():
        if not r.has_coordinate:
            out += _wrap(f"{r.name} ({r.country}, pair {r.pair}): no public coordinate")
            continue
        src = f"{r.sources} sources, {r.source_spread_m:,.0f} m apart" if r.sources > 1 else "1 source"
        if r.rounding in ("arc-minute", "arc-second"):
            src += f", published to the {r.rounding}"
        if not r.pair:
            out += _wrap(f"{r.name} ({r.country}): not a pair member; {src}")
            continue
        side_new = r.side_new if isinstance(r.side_new, str) else "—"
        side_old = r.side_old if isinstance(r.side_old, str) else "—"
        out += _wrap(f"{r.name} ({r.country}, pair {r.pair}): {side_new} / {side_old}, {r.distance_to_new_m:,.0f} m; "
                     f"{src}")  # fmt: skip
    out += ["", *_wrap(attribution(case), "", "")]
    return "\n".join(out)
