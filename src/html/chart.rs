//! One chart as inline SVG, drawn by plotters' SVG backend (no fonts linked: text is SVG
//! `<text>`, laid out by the browser): lines over time, horizontal limit lines, shaded
//! phases and vertical markers (workload starts and exits in grey, OOM kills in red). The `<figure>` around
//! it states what it holds in data attributes (series, points, the y of each limit and the
//! x of each kill in SVG pixels) so a browser test can check the drawing against the record.

use super::series::{Line, Moment};
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
    let top = c
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1 * s))
        .chain(c.limits.iter().map(|l| l.1 * s))
        .fold(0.0f64, f64::max);
    if top > 0.0 {
        top * 1.08
    } else {
        1.0
    }
}

type Err = Box<dyn std::error::Error>;

/// Draws the chart; returns the SVG and the pixel positions of its limits (y) and kills (x).
fn draw(c: &Chart) -> Result<(String, Vec<i32>, Vec<i32>), Err> {
    let mut svg = String::new();
    let (x1, y1) = (c.span_s.max(0.001), y_max(c));
    let s = c.unit.scale();
    let (mut limit_px, mut kill_px) = (Vec::new(), Vec::new());
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
        for (name, a, b) in c.spans {
            let band = Rectangle::new(
                [(*a, 0.0), (*b, y1)],
                RGBColor(120, 120, 120).mix(0.12).filled(),
            );
            ch.draw_series(std::iter::once(band))?;
            ch.draw_series(std::iter::once(Text::new(
                name.clone(),
                (*a, y1 * 0.97),
                ("sans-serif", 11),
            )))?;
        }
        for m in c.marks {
            let style = RGBColor(90, 90, 90).mix(0.35);
            let line = PathElement::new([(m.t_s, 0.0), (m.t_s, y1)], style);
            ch.draw_series(std::iter::once(line))?;
        }
        for (i, l) in c.lines.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let pts = l.points.iter().map(|p| (p.0, p.1 * s));
            ch.draw_series(LineSeries::new(pts, color.stroke_width(2)))?
                .label(l.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        for (i, (name, v)) in c.limits.iter().enumerate() {
            let color = LIMIT_COLORS[i % LIMIT_COLORS.len()];
            let y = v * s;
            limit_px.push(ch.backend_coord(&(0.0, y)).1);
            let line = PathElement::new([(0.0, y), (x1, y)], color.stroke_width(1));
            ch.draw_series(std::iter::once(line))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color));
        }
        for k in c.kills {
            kill_px.push(ch.backend_coord(&(k.t_s, 0.0)).0);
            ch.draw_series(std::iter::once(PathElement::new(
                [(k.t_s, 0.0), (k.t_s, y1)],
                RED.stroke_width(2),
            )))?;
            ch.draw_series(std::iter::once(Text::new(
                k.label.clone(),
                (k.t_s, y1 * 0.55),
                ("sans-serif", 11).into_font().color(&RED),
            )))?;
        }
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
