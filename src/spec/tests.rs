//! Spec parsing: strict keys with lines and suggestions; every catalogue entry parses.

use super::*;

fn src(text: &str) -> Source {
    Source {
        origin: "t.toml".into(),
        text: text.into(),
    }
}

#[test]
fn every_builtin_scenario_parses_and_is_named_after_its_file() {
    for (name, _) in catalogue::BUILTIN {
        let s = catalogue::lookup(name).unwrap();
        let spec = parse(&s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&spec.name, name);
    }
}

#[test]
fn every_file_in_workloads_is_in_the_catalogue() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".toml").map(str::to_string))
        .collect();
    files.sort();
    let mut names: Vec<String> = catalogue::BUILTIN.iter().map(|b| b.0.to_string()).collect();
    names.sort();
    assert_eq!(files, names);
}

#[test]
fn unknown_keys_are_errors_with_line_and_suggestion() {
    let text =
        "name = \"x\"\ndescription = \"d\"\n\n[[cgroup]]\nname = \"pod\"\nmemory_maxx = \"1G\"\n";
    let e = parse(&src(text)).unwrap_err();
    assert_eq!(e.line, 6, "{e}");
    assert!(e.message.contains("did you mean `memory_max`"), "{e}");
    assert!(e.to_string().starts_with("t.toml:6: "), "{e}");
}

#[test]
fn missing_required_keys_and_wrong_types_are_named() {
    let e = parse(&src("name = \"x\"\n")).unwrap_err();
    assert!(e.message.contains("description"), "{e}");
    let e = parse(&src(
        "name = \"x\"\ndescription = \"d\"\nrepeat = \"two\"\n",
    ))
    .unwrap_err();
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn unknown_scenarios_get_a_suggestion() {
    let e = catalogue::lookup("anon-om").unwrap_err();
    assert!(e.message.contains("did you mean `anon-oom`"), "{e}");
    let e = catalogue::lookup("/nonexistent/x.toml").unwrap_err();
    assert!(e.message.contains("cannot read"), "{e}");
}
