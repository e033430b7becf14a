//! One chart as inline SVG, drawn by plotters' SVG backend (no fonts linked: text is SVG
//! `<text>`, laid out by the browser): lines over time (optionally over shaded ranges, the
//! spread of several runs), horizontal limit lines, shaded phases and vertical markers
//! (workload starts and exits in grey, OOM kills in red). The `<figure>` around
//! it states what it holds in data attributes (series, points, bands, the y of each limit
//! and the x of each kill in SVG pixels) so a browser test can check the drawing against the record.

use super::series::{Line, Moment};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::fmt::Write;

/// Width and height of every chart, px.
pub const SIZE: (u32, u32) = (760, 260);

/// What one chart shows.
pub struct Chart<'a> {
    /// Title above it.
    pub title: String,
    /// The y axis: `bytes` (drawn in MiB), or a unit label.
    pub unit: Unit,
    /// Lines.
    pub lines: &'a [Line],
    /// Shaded ranges under the lines (the spread over runs), if any.
    pub bands: Option<Bands<'a>>,
    /// Horizontal lines (memory.max …), in the lines' unit.
    pub limits: &'a [(String, f64)],
    /// Shaded spans (phases).
    pub spans: &'a [(String, f64, f64)],
    /// Thin dashed markers (workload starts and exits).
    pub marks: &'a [Moment],
    /// Red markers (OOM kills).
    pub kills: &'a [Moment],
    /// x range end, s.
    pub span_s: f64,
}

/// Ranges shaded under a chart's lines: `ranges[i]` under `lines[i]`, in its colour.
pub struct Bands<'a> {
    /// The legend entry of all of them (what the range is).
    pub label: &'a str,
    /// Per line: (seconds, low, high) in time order, in the lines' unit.
    pub ranges: &'a [Vec<(f64, f64, f64)>],
}

/// The y axis' unit.
#[derive(Clone, Copy)]
pub enum Unit {
    /// Bytes, drawn in MiB.
    Bytes,
    /// Bytes per second, drawn in MiB/s.
    BytesPerSec,
    /// Anything else, drawn as is, with this label.
    Plain(&'static str),
}

impl Unit {
    fn scale(self) -> f64 {
        match self {
            Unit::Bytes | Unit::BytesPerSec => 1.0 / 1048576.0,
            Unit::Plain(_) => 1.0,
        }
    }
    fn label(self) -> &'static str {
        match self {
            Unit::Bytes => "MiB",
            Unit::BytesPerSec => "MiB/s",
            Unit::Plain(l) => l,
        }
    }
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
];

const LIMIT_COLORS: [RGBColor; 4] = [
    RGBColor(200, 0, 0),
    RGBColor(230, 140, 0),
    RGBColor(0, 140, 140),
    RGBColor(0, 90, 200),
];

fn y_max(c: &Chart) -> f64 {
    let s = c.unit.scale();
    let bands = c.bands.iter().flat_map(|b| b.ranges.iter().flatten());
    let top = c
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1 * s))
        .chain(bands.map(|r| r.2 * s))
        .chain(c.limits.iter().map(|l| l.1 * s))
        .fold(0.0f64, f64::max);
    if top > 0.0 {
        top * 1.08
    } else {
        1.0
    }
}

type Err = Box<dyn std::error::Error>;

/// The drawing area with its axes: x in seconds, y in the chart's unit.
type Ctx<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Phases as grey spans with their names at the top; workload starts and exits as thin
/// grey lines.
fn draw_phases_and_marks(ch: &mut Ctx, c: &Chart, y1: f64) -> Result<(), Err> {
    for (name, a, b) in c.spans {
        let band = Rectangle::new(
            [(*a, 0.0), (*b, y1)],
            RGBColor(120, 120, 120).mix(0.12).filled(),
        );
        ch.draw_series(std::iter::once(band))?;
        let text = Text::new(name.clone(), (*a, y1 * 0.97), ("sans-serif", 11));
        ch.draw_series(std::iter::once(text))?;
    }
    for m in c.marks {
        let style = RGBColor(90, 90, 90).mix(0.35);
        let line = PathElement::new([(m.t_s, 0.0), (m.t_s, y1)], style);
        ch.draw_series(std::iter::once(line))?;
    }
    Ok(())
}

/// Each band as a filled polygon (its low edge forward, its high edge back) in its line's
/// colour; the first drawn carries the bands' legend entry.
fn draw_bands(ch: &mut Ctx, c: &Chart) -> Result<(), Err> {
    let Some(bands) = &c.bands else {
        return Ok(());
    };
    let s = c.unit.scale();
    let mut labelled = false;
    for (i, r) in bands.ranges.iter().enumerate().filter(|(_, r)| r.len() > 1) {
        let color = COLORS[i % COLORS.len()];
        let low = r.iter().map(|p| (p.0, p.1 * s));
        let outline: Vec<(f64, f64)> = low.chain(r.iter().rev().map(|p| (p.0, p.2 * s))).collect();
        let shade = ch.draw_series(std::iter::once(Polygon::new(outline, color.mix(0.2))))?;
        if !std::mem::replace(&mut labelled, true) {
            let grey = RGBColor(120, 120, 120).mix(0.35).filled();
            shade
                .label(bands.label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], grey));
        }
    }
    Ok(())
}

fn draw_lines(ch: &mut Ctx, c: &Chart) -> Result<(), Err> {
    let s = c.unit.scale();
    for (i, l) in c.lines.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let pts = l.points.iter().map(|p| (p.0, p.1 * s));
        ch.draw_series(LineSeries::new(pts, color.stroke_width(2)))?
            .label(l.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    Ok(())
}

/// Limits as horizontal lines across the chart; returns each one's y in pixels.
fn draw_limits(ch: &mut Ctx, c: &Chart, x1: f64) -> Result<Vec<i32>, Err> {
    let mut px = Vec::new();
    for (i, (name, v)) in c.limits.iter().enumerate() {
        let color = LIMIT_COLORS[i % LIMIT_COLORS.len()];
        let y = v * c.unit.scale();
        px.push(ch.backend_coord(&(0.0, y)).1);
        let line = PathElement::new([(0.0, y), (x1, y)], color.stroke_width(1));
        ch.draw_series(std::iter::once(line))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color));
    }
    Ok(px)
}

/// Kills as red vertical lines, labelled unless the label is empty; returns each one's x in
/// pixels.
fn draw_kills(ch: &mut Ctx, c: &Chart, y1: f64) -> Result<Vec<i32>, Err> {
    let mut px = Vec::new();
    for k in c.kills {
        px.push(ch.backend_coord(&(k.t_s, 0.0)).0);
        let line = PathElement::new([(k.t_s, 0.0), (k.t_s, y1)], RED.stroke_width(2));
        ch.draw_series(std::iter::once(line))?;
        if !k.label.is_empty() {
            let font = ("sans-serif", 11).into_font().color(&RED);
            let text = Text::new(k.label.clone(), (k.t_s, y1 * 0.55), font);
            ch.draw_series(std::iter::once(text))?;
        }
    }
    Ok(px)
}

/// Draws the chart; returns the SVG and the pixel positions of its limits (y) and kills (x).
fn draw(c: &Chart) -> Result<(String, Vec<i32>, Vec<i32>), Err> {
    let mut svg = String::new();
    let (x1, y1) = (c.span_s.max(0.001), y_max(c));
    let (limit_px, kill_px);
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let mut ch = ChartBuilder::on(&root)
            .caption(&c.title, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(58)
            .build_cartesian_2d(0f64..x1, 0f64..y1)?;
        ch.configure_mesh()
            .x_desc("s")
            .y_desc(c.unit.label())
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        draw_phases_and_marks(&mut ch, c, y1)?;
        draw_bands(&mut ch, c)?;
        draw_lines(&mut ch, c)?;
        limit_px = draw_limits(&mut ch, c, x1)?;
        kill_px = draw_kills(&mut ch, c, y1)?;
        ch.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
        root.present()?;
    }
    Ok((svg, limit_px, kill_px))
}

fn join(v: &[i32]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The chart as a `<figure>` holding its SVG (or a note if it could not be drawn).
pub fn figure(c: &Chart, what: &str) -> String {
    let points: usize = c.lines.iter().map(|l| l.points.len()).sum();
    let mut out = String::new();
    let _ = write!(
        out,
        "<figure class=\"chart\" data-what=\"{}\" data-series=\"{}\" data-points=\"{points}\"",
        super::esc(what),
        c.lines.len()
    );
    if let Some(b) = &c.bands {
        let _ = write!(out, " data-bands=\"{}\"", b.ranges.len());
    }
    match draw(c) {
        Ok((svg, limits, kills)) => {
            let _ = write!(
                out,
                " data-limit-y=\"{}\" data-kill-x=\"{}\">{svg}</figure>",
                join(&limits),
                join(&kills)
            );
        }
        Err(e) => {
            let _ = write!(
                out,
                "><p>chart not drawn: {}</p></figure>",
                super::esc(&e.to_string())
            );
        }
    }
    out
}
