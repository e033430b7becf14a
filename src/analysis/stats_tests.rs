//! Summaries over repetitions and the text counts kept beside them.
use super::*;

#[test]
fn each_text_keeps_how_many_runs_gave_it() {
    let run = |t: &str| RunAnalysis {
        variant: "v".into(),
        repetition: 0,
        boot: None,
        values: [("w.killed_by".to_string(), Val::Str(t.into()))].into(),
        kills: Vec::new(),
        error: None,
        gaps: Vec::new(),
        unread: Default::default(),
    };
    let runs = [run("oom"), run("none"), run("oom")];
    let (_, texts, counts) = summarise("v", &runs.iter().collect::<Vec<_>>());
    assert!(texts["w.killed_by"].starts_with("mixed: "));
    let want: BTreeMap<String, u32> = [("none".into(), 1), ("oom".into(), 2)].into();
    assert_eq!(counts["w.killed_by"], want);
}

#[test]
fn stats_of_values() {
    let s = stats(vec![3.0, 1.0, 2.0, 10.0]).unwrap();
    assert_eq!(
        (s.n, s.median, s.min, s.max, s.mean),
        (4, 2.5, 1.0, 10.0, 4.0)
    );
    assert!((s.stddev - 4.082).abs() < 0.01);
    assert_eq!(stats(vec![5.0]).unwrap().stddev, 0.0);
    assert!(stats(vec![]).is_none());
}
