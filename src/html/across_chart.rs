//! The chart of one check across variants (see `across`), drawn by plotters' SVG backend as
//! `chart` draws its own (no fonts linked, no script): x the variants (numbered 1…n, or named
//! when every label is short), y 0–1; per variant plotters' `ErrorBar` — the Wilson interval
//! as a bar with a filled point at k/n — and per qualifying observation a hollow marker of
//! its own shape and colour at its value, named in the legend above the 1.0 line. The
//! `<figure>` says in data attributes how many variants, points and observations it holds, so
//! a browser test can check the drawing against report.json. Pure: text out.

use super::across::{Across, CheckRates};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::fmt::Write;

/// The chart's height, px; its width grows with the variants.
const HEIGHT: u32 = 340;

/// The rates' colour (filled points and their bars).
const RATE: RGBColor = RGBColor(31, 119, 180);

/// The observations' colours, in order (their shapes cycle too).
const OBSERVED: [RGBColor; 4] = [
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// The longest variant label written on the axis as is; with a longer one, numbers.
const SHORT: usize = 8;

/// Longest legend text before it is cut with "…" (the table under the chart has it whole).
const LEGEND_CHARS: usize = 100;

/// An f64 axis with ticks exactly where it is told: one per variant, and 0, 0.1 … 1 (plotters'
/// `with_key_points` over f64 takes no label formatter, which the variants' names need).
struct Ticks {
    inner: RangedCoordf64,
    at: Vec<f64>,
}

impl Ticks {
    fn new(range: std::ops::Range<f64>, at: Vec<f64>) -> Ticks {
        Ticks {
            inner: range.into(),
            at,
        }
    }
}

impl Ranged for Ticks {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(v, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.at.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

type Ctx<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Ticks, Ticks>>;
type Err = Box<dyn std::error::Error>;

/// Width, px: room for every variant, within what a page shows.
fn width(variants: usize) -> u32 {
    (160 + 64 * variants as u32).clamp(760, 1500)
}

/// The x axis' label at `x`: the variant's number, or its label when all are short.
pub(crate) fn x_label(a: &Across, x: f64) -> String {
    let i = x.round() as usize;
    let short = a.variants.iter().all(|v| v.chars().count() <= SHORT);
    match a.variants.get(i.wrapping_sub(1)) {
        Some(v) if short => v.clone(),
        _ => i.to_string(),
    }
}

/// The outline of hollow marker `k` around (0, 0), px: a circle (as a 16-gon), a square or a
/// diamond, closed. One element type for every shape, so a legend entry can draw it too.
fn outline(k: usize) -> Vec<(i32, i32)> {
    let r = 6.0f64;
    let corners: Vec<(f64, f64)> = match k % 3 {
        0 => (0..=16)
            .map(|i| f64::from(i) * std::f64::consts::PI / 8.0)
            .map(|a| (r * a.cos(), r * a.sin()))
            .collect(),
        1 => vec![(-r, -r), (r, -r), (r, r), (-r, r), (-r, -r)],
        _ => vec![
            (0.0, -r - 2.0),
            (r + 2.0, 0.0),
            (0.0, r + 2.0),
            (-r - 2.0, 0.0),
            (0.0, -r - 2.0),
        ],
    };
    corners
        .into_iter()
        .map(|(x, y)| (x.round() as i32, y.round() as i32))
        .collect()
}

/// The legend's text for `s`: whole, or cut at [`LEGEND_CHARS`].
fn legend_text(s: &str) -> String {
    if s.chars().count() <= LEGEND_CHARS {
        return s.to_string();
    }
    let cut: String = s.chars().take(LEGEND_CHARS - 1).collect();
    format!("{cut}…")
}

/// Each variant's k/n as a filled point on its Wilson interval.
fn draw_rates(ch: &mut Ctx, c: &CheckRates) -> Result<(), Err> {
    let bars = c.counts.iter().enumerate().filter_map(|(i, n)| {
        let n = n.as_ref()?;
        let x = (i + 1) as f64;
        let style = RATE.filled().stroke_width(2);
        Some(ErrorBar::new_vertical(
            x,
            n.low,
            n.rate(),
            n.high,
            style,
            10,
        ))
    });
    ch.draw_series(bars)?
        .label("k/n of runs that passed, with its 95% Wilson interval")
        .legend(|(x, y)| Circle::new((x + 9, y), 5, RATE.filled()));
    Ok(())
}

/// Each qualifying observation as hollow markers at its values.
fn draw_observed(ch: &mut Ctx<'_, '_>, a: &Across) -> Result<(), Err> {
    for (k, o) in a.observed.iter().enumerate() {
        let style = OBSERVED[k % OBSERVED.len()].stroke_width(2);
        let marks = o.values.iter().enumerate().map(move |(i, v)| {
            EmptyElement::at(((i + 1) as f64, *v)) + PathElement::new(outline(k), style)
        });
        ch.draw_series(marks)?
            .label(legend_text(&o.text))
            .legend(move |(x, y)| {
                let at = outline(k).into_iter().map(|(dx, dy)| (x + 9 + dx, y + dy));
                PathElement::new(at.collect::<Vec<_>>(), style)
            });
    }
    Ok(())
}

/// Draws the chart of `c`; returns its SVG.
fn draw(a: &Across, c: &CheckRates) -> Result<String, Err> {
    let n = a.variants.len();
    let rows = 1 + a.observed.len();
    let top = 1.08 + 0.1 * rows as f64;
    let x = Ticks::new(0.5..n as f64 + 0.5, (1..=n).map(|i| i as f64).collect());
    let y = Ticks::new(-0.04..top, (0..=10).map(|i| f64::from(i) / 10.0).collect());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width(n), HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut ch = ChartBuilder::on(&root)
            .caption(&c.text, ("sans-serif", 17))
            .margin(8)
            .x_label_area_size(38)
            .y_label_area_size(54)
            .build_cartesian_2d(x, y)?;
        let label = |x: &f64| x_label(a, *x);
        ch.configure_mesh()
            .x_desc("variant")
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 13))
            .y_desc("share of runs")
            .x_label_formatter(&label)
            .y_label_formatter(&|y| format!("{y:.1}"))
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.08))
            .draw()?;
        draw_rates(&mut ch, c)?;
        draw_observed(&mut ch, a)?;
        ch.configure_series_labels()
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// The chart of `c` as a `<figure>` (or a note if it could not be drawn).
pub fn figure(a: &Across, c: &CheckRates) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<figure class=\"chart\" data-what=\"across {}\" data-variants=\"{}\" data-points=\"{}\" data-observed=\"{}\">",
        super::esc(&c.text),
        a.variants.len(),
        c.counts.iter().flatten().count(),
        a.observed.len()
    );
    match draw(a, c) {
        Ok(svg) => out.push_str(&svg),
        Err(e) => {
            let _ = write!(
                out,
                "<p>chart not drawn: {}</p>",
                super::esc(&e.to_string())
            );
        }
    }
    out.push_str("</figure>\n");
    out
}
