//! Cells of the Markdown tables the benches print.

/// `v` with `decimals` decimals, or a dash where an implementation has no
/// such number (a counter only `handoff` keeps).
pub fn cell(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

/// The "met" column of a goals table.
pub fn yes_no(met: bool) -> &'static str {
    if met {
        "yes"
    } else {
        "**no**"
    }
}
