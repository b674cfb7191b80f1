//! Counters over time: a bounded history of the machine-wide counters by position, and the
//! geometry of the chart drawn from it.
//!
//! The history keeps at most [`MAX_SAMPLES`] samples: when it fills up it drops every other
//! sample and doubles its stride, so a 10-million-step run costs the same memory as a
//! 4,000-step one and the chart always has enough points for its width.

use svelab_core::model::event::{Counter, Counters};

/// Most samples kept.
pub const MAX_SAMPLES: usize = 4096;

/// Total counters sampled every `stride` positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    stride: u64,
    /// `samples[i]` = totals at position `i * stride`.
    samples: Vec<Counters>,
    /// The newest position recorded, and its totals (always kept exactly).
    last: (u64, Counters),
}

impl Default for History {
    fn default() -> Self {
        History {
            stride: 1,
            samples: vec![Counters::default()],
            last: (0, Counters::default()),
        }
    }
}

impl History {
    /// Records the totals at `pos` (positions must be recorded in increasing order).
    pub fn record(&mut self, pos: u64, totals: Counters) {
        self.last = (pos, totals);
        if pos % self.stride == 0 && pos / self.stride == self.samples.len() as u64 {
            self.samples.push(totals);
            if self.samples.len() > MAX_SAMPLES {
                let kept: Vec<Counters> = self.samples.iter().step_by(2).copied().collect();
                self.samples = kept;
                self.stride *= 2;
            }
        }
    }

    /// The newest position recorded.
    pub fn last_pos(&self) -> u64 {
        self.last.0
    }

    /// The totals at the newest position.
    pub fn last_totals(&self) -> Counters {
        self.last.1
    }

    /// Positions between samples.
    pub fn stride(&self) -> u64 {
        self.stride
    }

    /// `(position, value)` points of one counter, ending at the newest position.
    pub fn series(&self, c: Counter) -> Vec<(u64, u64)> {
        let mut v: Vec<(u64, u64)> = self
            .samples
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u64 * self.stride, s.get(c)))
            .take_while(|(p, _)| *p <= self.last.0)
            .collect();
        if v.last().map(|x| x.0) != Some(self.last.0) {
            v.push((self.last.0, self.last.1.get(c)));
        }
        v
    }

    /// The totals at or before `pos` (the nearest sample).
    pub fn at(&self, pos: u64) -> Counters {
        if pos >= self.last.0 {
            return self.last.1;
        }
        let i = (pos / self.stride) as usize;
        self.samples.get(i).copied().unwrap_or(self.last.1)
    }
}

/// The counters the chart offers, with the ones shown by default first.
pub const CHART_COUNTERS: [Counter; 10] = [
    Counter::SveTraps,
    Counter::SveAllocMemsets,
    Counter::SveFlushLive,
    Counter::CpacrWrites,
    Counter::Binds,
    Counter::SavesSve,
    Counter::SavesFpsimd,
    Counter::LoadsSve,
    Counter::LoadsFpsimd,
    Counter::ContextSwitches,
];

/// A line of the chart: an SVG path in a `width × height` box, and its last value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The counter.
    pub counter: Counter,
    /// SVG path data (`M x y L x y …`), y growing downwards.
    pub path: String,
    /// Where the line ends (for its label).
    pub end: (u32, u32),
    /// The value at the end.
    pub value: u64,
    /// Where its label goes: by its end, moved so labels do not overlap.
    pub label_y: u32,
}

/// Vertical room one label needs.
pub const LABEL_GAP: u32 = 12;

/// Lays out `counters` from `h` in a `w × ht` box with the x axis over `0..=x_max`
/// positions. All lines share one y scale (the largest value), so they compare.
pub fn lines(h: &History, counters: &[Counter], w: u32, ht: u32, x_max: u64) -> (Vec<Line>, u64) {
    let series: Vec<(Counter, Vec<(u64, u64)>)> =
        counters.iter().map(|&c| (c, h.series(c))).collect();
    let y_max = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|p| p.1))
        .max()
        .unwrap_or(0)
        .max(1);
    let x_max = x_max.max(1);
    let sx = |x: u64| ((x.min(x_max) as f64 / x_max as f64) * f64::from(w)).round() as u32;
    let sy = |y: u64| ht - ((y as f64 / y_max as f64) * f64::from(ht)).round() as u32;
    let out = series
        .into_iter()
        .map(|(c, s)| {
            let mut path = String::with_capacity(s.len() * 10);
            let mut end = (0, ht);
            let mut last_xy = None;
            for (i, &(x, y)) in s.iter().enumerate() {
                let xy = (sx(x), sy(y));
                // Skip points that land on the same pixel as the previous one.
                if last_xy == Some(xy) && i + 1 != s.len() {
                    continue;
                }
                path.push_str(if i == 0 { "M" } else { " L" });
                path.push_str(&format!("{} {}", xy.0, xy.1));
                last_xy = Some(xy);
                end = xy;
            }
            Line {
                counter: c,
                path,
                end,
                value: s.last().map_or(0, |p| p.1),
                label_y: end.1,
            }
        })
        .collect::<Vec<Line>>();
    let mut out = out;
    // Spread the labels: top to bottom, each at least LABEL_GAP below the previous.
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|&i| out[i].end.1);
    let mut next = LABEL_GAP;
    for i in order {
        let y = out[i].end.1.max(next);
        out[i].label_y = y;
        next = y + LABEL_GAP;
    }
    (out, y_max)
}

/// The x coordinate of position `pos` in a chart `w` wide over `0..=x_max`.
pub fn cursor_x(pos: u64, w: u32, x_max: u64) -> u32 {
    ((pos.min(x_max.max(1)) as f64 / x_max.max(1) as f64) * f64::from(w)).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(traps: u64) -> Counters {
        let mut c = Counters::default();
        c.add(Counter::SveTraps, traps);
        c
    }

    #[test]
    fn history_stays_bounded_and_exact_at_the_end() {
        let mut h = History::default();
        for p in 1..=100_000u64 {
            h.record(p, totals(p / 2));
        }
        assert!(h.samples.len() <= MAX_SAMPLES);
        assert!(h.stride() >= 16);
        let s = h.series(Counter::SveTraps);
        assert_eq!(*s.last().unwrap(), (100_000, 50_000));
        assert!(s.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(h.at(100_000).get(Counter::SveTraps), 50_000);
        let mid = h.at(50_000).get(Counter::SveTraps);
        assert!((24_000..=25_000).contains(&mid), "{mid}");
    }

    #[test]
    fn small_histories_keep_every_step() {
        let mut h = History::default();
        for p in 1..=10u64 {
            h.record(p, totals(p));
        }
        assert_eq!(h.stride(), 1);
        assert_eq!(h.series(Counter::SveTraps).len(), 11);
        assert_eq!(h.at(3).get(Counter::SveTraps), 3);
    }

    #[test]
    fn lines_share_one_scale_and_fit_the_box() {
        let mut h = History::default();
        for p in 1..=10u64 {
            let mut c = totals(p);
            c.add(Counter::Binds, p / 2);
            h.record(p, c);
        }
        let (ls, ymax) = lines(&h, &[Counter::SveTraps, Counter::Binds], 200, 100, 10);
        assert_eq!(ymax, 10);
        assert_eq!(ls[0].end, (200, 0));
        assert_eq!(ls[1].end, (200, 50));
        assert!(ls[0].path.starts_with("M0 100 L20 90"));
        assert_eq!(ls[1].value, 5);
        assert_eq!(cursor_x(5, 200, 10), 100);
        assert!(ls[1].label_y >= ls[0].label_y + LABEL_GAP);
        // An empty history draws flat lines, no division by zero.
        let (ls, _) = lines(&History::default(), &[Counter::SveTraps], 200, 100, 0);
        assert_eq!(ls[0].path, "M0 100");
    }
}
